import type { ProviderId } from '../../src/request/unified-request.js';

export interface SoakOptions {
  /** Jobs in the run (300), the budgeted batch's items included. */
  jobs?: number;
  /** The jobs are started in this many waves (6) … */
  waves?: number;
  /** … this far apart (35 s). */
  waveIntervalMs?: number;
  /** Each task renders for a random time in this range (3–5 s). */
  renderMs?: [number, number];
  /** SIGKILLs of the worker process at random moments (5); a new one is started each time. */
  workerKills?: number;
  /**
   * Graceful stops (SIGTERM) of the worker process (3), each while a slow submit is in flight
   * when one can be arranged; a new worker is started once the old one has exited.
   */
  workerStops?: number;
  /** Stops and starts of the dev server on the same port and SQLite file (1). */
  serverRestarts?: number;
  /** Provider calls that never answer (3): each costs the 60 s HTTP headers timeout. */
  hangs?: number;
  /** Share of jobs that bring an HTTP fault on their first provider (0.3). */
  faultRate?: number;
  /** Share of jobs whose first provider's task fails (moderation or plain) or gets stuck (0.12). */
  taskFaultRate?: number;
  /** Attempt deadline of the jobs whose task gets stuck (20 s); others keep the default. */
  stuckAttemptDeadlineMs?: number;
  /**
   * Half of the stuck jobs opt in to paying the next provider after this long (25 s,
   * `failoverStuckAfterMs`); the other half stay pinned to their task until their job deadline.
   */
  stuckFailoverAfterMs?: number;
  /** Job deadline of the stuck jobs that stay pinned (45 s). */
  stuckJobDeadlineMs?: number;
  /**
   * The last this-many jobs (8) run as one batch with a `maxCost` budget, and with failover
   * faults on their first providers; 0 runs no batch.
   */
  batchItems?: number;
  /** Every job must have closed this long after the last wave started (6 min). */
  closeTimeoutMs?: number;
  /** Seeds the plan, the faults and the kill and restart moments; random when absent. */
  seed?: number;
  providers?: ProviderId[];
  /** Keep the working directory (database, videos, worker logs); kept anyway when a check fails. */
  keepWorkDirectory?: boolean;
  log?: (message: string) => void;
}

export type SoakSettings = Required<Omit<SoakOptions, 'seed' | 'log' | 'keepWorkDirectory'>>;

export const SOAK_PROVIDERS: readonly ProviderId[] = [
  'hyprlab',
  'kling',
  'openai-hk',
  'apimodels',
  'apiframe',
  '302ai',
  'fal',
  'replicate',
];

const DEFAULTS: Omit<SoakSettings, 'providers'> = {
  jobs: 300,
  waves: 6,
  waveIntervalMs: 35_000,
  renderMs: [3_000, 5_000],
  workerKills: 5,
  workerStops: 3,
  serverRestarts: 1,
  hangs: 3,
  faultRate: 0.3,
  taskFaultRate: 0.12,
  stuckAttemptDeadlineMs: 20_000,
  stuckFailoverAfterMs: 25_000,
  stuckJobDeadlineMs: 45_000,
  batchItems: 8,
  closeTimeoutMs: 6 * 60_000,
};

export function resolveSettings(options: SoakOptions): SoakSettings {
  const given = Object.fromEntries(
    Object.entries(options).filter(
      ([name, value]) =>
        value !== undefined && name !== 'seed' && name !== 'log' && name !== 'keepWorkDirectory',
    ),
  );
  const settings = { ...DEFAULTS, providers: [...SOAK_PROVIDERS], ...given } as SoakSettings;
  settings.batchItems = Math.min(settings.batchItems, Math.floor(settings.jobs / 2));
  return settings;
}

export const POLL_INTERVAL_MS = 1_000;
export const TASK_QUEUE = 'soak';
export const NAMESPACE = 'default';
/** The budgeted batch's id (its items' workflow ids are `<batch id>-<job token>`). */
export const BATCH_ID = 'soak-budget';

/** `SOAK_SEED`: a whole number from 0 to 2^32 − 1, or nothing for a random seed. */
export function parseSoakSeed(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new Error(`SOAK_SEED must be a whole number from 0 to ${2 ** 32 - 1}, not "${value}"`);
  return seed;
}
