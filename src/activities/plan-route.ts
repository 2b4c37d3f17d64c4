import { withTimeout } from '../async/with-timeout.js';
import type { RouteEntry, RoutePlan } from '../contracts/generation.js';
import type { ProviderAdapter } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ProviderId, UnifiedRequest } from '../request/unified-request.js';
import type { VideoStorage } from '../storage/video-storage.js';
import { type FirstPollSettings, firstPollWaitMs } from './plan-route-first-poll.js';

export interface PlanRouteInput {
  request: UnifiedRequest;
  providers?: ProviderId[];
  maxCost?: number;
  /** The storage keys the job's videos would take: planned only while none is taken. */
  storageKeys?: string[];
}

export interface RoutingSettings extends FirstPollSettings {
  pollIntervalMs: number;
  /** In-flight caps per provider (KLINGFLOW_PROVIDER_CONCURRENCY). */
  providerConcurrency?: Partial<Record<ProviderId, number>>;
}

/**
 * Which configured providers can serve the request, in the user's order or cheapest first.
 * Runs on the worker because only the worker knows which providers have keys; the plan it
 * returns is recorded in history, so the workflow replays the same route.
 */
export function createPlanRoute(deps: {
  providers: ProviderRegistry;
  routing: RoutingSettings;
  storage?: Pick<VideoStorage, 'storedVideoPath'>;
}) {
  return async function planRoute(input: PlanRouteInput): Promise<RoutePlan> {
    const taken = await storedUnderKeys(deps.storage, input.storageKeys ?? []);
    if (taken)
      return { route: [], skipped: [], pollIntervalMs: deps.routing.pollIntervalMs, taken };
    const skipped: RoutePlan['skipped'] = [];
    const candidates = input.providers ?? deps.providers.defaultOrder(input.request);
    const route: RouteEntry[] = [];
    for (const id of candidates) {
      const adapter = deps.providers.get(id);
      if (!adapter) {
        skipped.push({
          provider: id,
          reason: 'not configured (no API key set)',
          errorKind: 'provider-unavailable',
        });
        continue;
      }
      const check = adapter.check(input.request);
      if (!check.offer || check.issues.length > 0) {
        skipped.push({
          provider: id,
          reason: check.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
          errorKind: 'invalid-request',
        });
        continue;
      }
      const price = deps.providers.price(adapter, input.request);
      if (input.maxCost !== undefined) {
        if (price.usd === undefined) {
          skipped.push({
            provider: id,
            reason: `price in ${price.unit} has no USD rate to compare with --max-cost (set one in KLINGFLOW_PRICE_RATES)`,
            errorKind: 'over-budget',
            unpriced: true,
          });
          continue;
        }
        if (price.usd > input.maxCost) {
          skipped.push({
            provider: id,
            reason: `estimated $${price.usd} is over the budget of $${input.maxCost}`,
            errorKind: 'over-budget',
          });
          continue;
        }
      }
      route.push({
        provider: id,
        price,
        warnings: check.warnings,
        initialWaitMs: await firstPollWaitMs(
          deps.routing,
          id,
          input.request,
          check.offer.typicalRenderSeconds,
        ),
        idempotentSubmit: adapter.capabilities.idempotentSubmit && adapter.findTask !== undefined,
        ...lookupOf(adapter),
        ...(adapter.cancel ? { cancellable: true } : {}),
        ...(deps.routing.providerConcurrency?.[id]
          ? { maxInFlight: deps.routing.providerConcurrency[id] }
          : {}),
      });
    }
    return { route, skipped, pollIntervalMs: deps.routing.pollIntervalMs };
  };
}

/**
 * A video already stored where this job's would go: its id was used before, by a run Temporal
 * no longer holds (past retention, another server, a deleted dev database). Paying would end in
 * a storage conflict. A storage that cannot answer is no reason to refuse: the commit still
 * refuses to overwrite.
 */
async function storedUnderKeys(
  storage: Pick<VideoStorage, 'storedVideoPath'> | undefined,
  keys: readonly string[],
): Promise<string | undefined> {
  if (!storage) return undefined;
  for (const key of keys) {
    const path = await withTimeout(
      storage.storedVideoPath(key),
      STORAGE_CHECK_MS,
      'the storage did not answer',
    ).catch(() => undefined);
    if (path) return path;
  }
  return undefined;
}

/** A bucket that does not answer must not hold the job's planning up (its budget is 30 s). */
const STORAGE_CHECK_MS = 5_000;

/** The provider's lookup mode, when it can look a task up at all. */
function lookupOf(adapter: ProviderAdapter): Pick<RouteEntry, 'lookup'> {
  if (!adapter.findTask) return {};
  const lookup =
    adapter.capabilities.lookup ??
    (adapter.capabilities.idempotentSubmit ? 'idempotent' : undefined);
  return lookup ? { lookup } : {};
}
