import { resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { describeUnknownProviders } from '../request/provider-suggestion.js';
import { PROVIDER_IDS, type ProviderId } from '../request/unified-request.js';
import { hasNoUnit, parseDuration } from './duration.js';
import { type PriceRates, parsePriceRates } from './price-rates.js';
import { parseProviderNumbers } from './provider-numbers.js';
import { checkProviderBaseUrls } from './provider-variables.js';
import { VARIABLES } from './variables.js';

export { parseProviderNumbers };

/** klingflow's own settings, read once from the environment (the contract's table). */
export interface KlingflowSettings {
  taskQueue: string;
  storageDirectory: string;
  /** Default failover order; undefined means every configured provider, cheapest first. */
  providerOrder: ProviderId[] | undefined;
  pollIntervalMs: number;
  /** Overrides the wait before the first poll (the typical render time otherwise). */
  initialWaitMs: number | undefined;
  allowPrivateNetwork: boolean;
  /** Provider calls per second, enforced by the server across all workers (per provider queue). */
  providerRateLimits: Partial<Record<ProviderId, number>>;
  /** Most tasks a provider may have in flight at once, across all workers (e.g. Kling's per-account limit). */
  providerConcurrency: Partial<Record<ProviderId, number>>;
  /**
   * USD per price unit for providers priced in units or credits (KLINGFLOW_PRICE_RATES), so they
   * take part in budgets and cheapest-first ordering. Absent or empty: no conversions.
   */
  priceRates?: PriceRates;
  /**
   * A directory with prebuilt workflow bundles (`workflow-bundle.js`, `workflow-bundle-untraced.js`,
   * as `npm run build` writes them), so a worker run from the sources starts without webpack.
   */
  workflowBundleDirectory?: string;
}

export const DEFAULT_TASK_QUEUE = 'klingflow';
export const DEFAULT_POLL_INTERVAL_MS = 10_000;
/**
 * Below this a poll interval is a unit mistake (`10` is milliseconds, not seconds): every status
 * call is an activity attempt, which Temporal Cloud bills as an action, and a request the provider
 * may rate-limit.
 */
export const MIN_POLL_INTERVAL_MS = 100;

export function readSettings(environment: NodeJS.ProcessEnv = process.env): KlingflowSettings {
  checkProviderBaseUrls(environment);
  const bundleDirectory = environment[VARIABLES.workflowBundleDirectory];
  return {
    taskQueue: environment[VARIABLES.taskQueue] || DEFAULT_TASK_QUEUE,
    storageDirectory: resolve(environment[VARIABLES.storageDirectory] || './videos'),
    providerOrder: parseProviderList(environment[VARIABLES.providers], VARIABLES.providers),
    pollIntervalMs:
      readDuration(environment, VARIABLES.pollInterval, { minimumMs: MIN_POLL_INTERVAL_MS }) ??
      DEFAULT_POLL_INTERVAL_MS,
    initialWaitMs: readDuration(environment, VARIABLES.initialWait, { allowZero: true }),
    allowPrivateNetwork: isTruthy(environment[VARIABLES.allowPrivateNetwork]),
    providerRateLimits: parseProviderNumbers(
      environment[VARIABLES.providerRateLimits],
      VARIABLES.providerRateLimits,
    ),
    providerConcurrency: parseProviderNumbers(
      environment[VARIABLES.providerConcurrency],
      VARIABLES.providerConcurrency,
      {
        integer: true,
      },
    ),
    priceRates: parsePriceRates(environment[VARIABLES.priceRates]),
    ...(bundleDirectory ? { workflowBundleDirectory: resolve(bundleDirectory) } : {}),
  };
}

export function parseProviderList(
  value: string | undefined,
  source: string,
): ProviderId[] | undefined {
  if (!value?.trim()) return undefined;
  const ids = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const unknown = ids.filter((id) => !(PROVIDER_IDS as readonly string[]).includes(id));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      source,
      `unknown provider ${describeUnknownProviders(unknown)} (allowed: ${PROVIDER_IDS.join(', ')})`,
    );
  }
  return ids as ProviderId[];
}

function readDuration(
  environment: NodeJS.ProcessEnv,
  name: string,
  options: { allowZero?: boolean; minimumMs?: number } = {},
): number | undefined {
  const value = environment[name];
  if (!value) return undefined;
  const parsed = parseDuration(value);
  if (parsed === undefined || parsed < 0 || (parsed === 0 && !options.allowZero)) {
    throw new ConfigurationError(name, `"${value}" is not a duration (examples: 10s, 500ms, 2m)`);
  }
  if (options.minimumMs !== undefined && parsed < options.minimumMs) {
    throw new ConfigurationError(name, tooShort(value, parsed, options.minimumMs));
  }
  return parsed;
}

/** `"10" is 10 ms, under the 100 ms minimum; did you mean 10s?` */
function tooShort(value: string, ms: number, minimumMs: number): string {
  return `${JSON.stringify(value)} is ${ms} ms, under the ${minimumMs} ms minimum${hasNoUnit(value) ? `; did you mean ${value.trim()}s?` : ''}`;
}

export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}
