import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import type { RoutingSettings } from './activities/plan-route.js';
import type { KlingflowSettings } from './config/environment.js';
import { VARIABLES } from './config/variables.js';
import { providerTaskQueue, SUBMIT_START_TO_CLOSE_MS } from './contracts/task-queues.js';
import { ConfigurationError } from './errors.js';
import { createGuardedAgent } from './http/guarded-agent.js';
import { klingflowMetrics } from './observability/klingflow-metrics.js';
import { providerHttpObserver } from './observability/provider-http-observer.js';
import type { KlingflowTracing } from './observability/tracing.js';
import {
  activityTelemetry,
  workflowInterceptorModules,
  workflowSinks,
} from './observability/worker-telemetry.js';
import { createConfiguredProviders } from './providers/configured-providers.js';
import { ProviderRegistry } from './providers/registry.js';
import type { ProviderId } from './request/unified-request.js';
import { imageResolverFactory } from './storage/image-resolver.js';
import { createRenderTimeStore, renderTimeStorePath } from './storage/render-time-store.js';
import { checkStorageWritable, createVideoStorage } from './storage/storage-factory.js';

// `.ts` when run from the sources, `.js` in the compiled package.
const EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`./workflows/index${EXTENSION}`, import.meta.url),
);
/** Written by `npm run build` next to the compiled worker, so it starts without webpack. */
export const PREBUILT_WORKFLOW_BUNDLE = fileURLToPath(
  new URL('./workflow-bundle.js', import.meta.url),
);
/** The same without OpenTelemetry's workflow interceptors, for workers with tracing off. */
export const PREBUILT_UNTRACED_WORKFLOW_BUNDLE = fileURLToPath(
  new URL('./workflow-bundle-untraced.js', import.meta.url),
);

export interface KlingflowWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  settings: KlingflowSettings;
  /** Provider keys and base URLs; the worker's environment by default. */
  environment?: NodeJS.ProcessEnv;
  /** A prebuilt workflow bundle (tests bundle once for the whole run). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  callbackUrl?: (workflowId: string, attempt: number) => string | undefined;
  /** Trace workflows, activities and provider calls into this (tracing.ts); off when absent. */
  tracing?: KlingflowTracing;
  /** Overrides for tests and benchmarks (concurrency, shutdown grace). */
  workerOptions?: Partial<WorkerOptions>;
  /** Route-planning overrides for tests and benchmarks (first-poll policy, catalog share). */
  routing?: Partial<RoutingSettings>;
}

type WorkerState = ReturnType<Worker['getState']>;

/**
 * klingflow's workers in one process: the main one (workflows, route planning, downloads,
 * storage) and one per configured provider that polls only that provider's task queue, with the
 * provider's rate limit enforced by the server across every worker.
 */
export class KlingflowWorker {
  readonly main: Worker;
  readonly providerWorkers: ReadonlyMap<string, Worker>;

  constructor(main: Worker, providerWorkers: Map<string, Worker>) {
    this.main = main;
    this.providerWorkers = providerWorkers;
  }

  private get all(): Worker[] {
    return [this.main, ...this.providerWorkers.values()];
  }

  /** Runs every worker until shutdown; if one fails, the others are shut down too. */
  async run(): Promise<void> {
    const runs = this.all.map((worker) =>
      worker.run().catch((error: unknown) => {
        this.shutdown();
        throw error;
      }),
    );
    await Promise.all(runs);
  }

  /** Runs until the promise settles, then shuts down and returns (or throws) its outcome. */
  async runUntil<T>(until: Promise<T> | (() => Promise<T>)): Promise<T> {
    const running = this.run();
    try {
      return await (typeof until === 'function' ? until() : until);
    } finally {
      this.shutdown();
      await running;
    }
  }

  shutdown(): void {
    for (const worker of this.all) if (worker.getState() === 'RUNNING') worker.shutdown();
  }

  getState(): WorkerState {
    return this.main.getState();
  }
}

const PROVIDER_ACTIVITY_NAMES = ['submitTask', 'findTask', 'checkTask', 'cancelTask'] as const;

/** Builds the workers and their dependencies from settings. Keys stay in this process. */
export async function createKlingflowWorker(
  options: KlingflowWorkerOptions,
): Promise<KlingflowWorker> {
  const { providers, storage, activities } = workerDependencies(options);
  // Before any worker polls: a job it took would be paid for and then fail to store.
  await checkStorageWritable(storage, options.environment ?? process.env);
  const main = await createMainWorker(options, activities);
  const providerActivities = Object.fromEntries(
    PROVIDER_ACTIVITY_NAMES.map((name) => [name, activities[name]]),
  );
  const providerWorkers = new Map<string, Worker>();
  for (const adapter of providers.list()) {
    providerWorkers.set(
      adapter.id,
      await createProviderWorker(options, adapter.id, providerActivities),
    );
  }
  return new KlingflowWorker(main, providerWorkers);
}

/**
 * The guarded HTTP agent, the configured providers, the storage and the activities on them: what
 * the workers run (and what bench/own-activity-probe.ts measures without Temporal).
 */
export function workerDependencies(
  options: Pick<KlingflowWorkerOptions, 'settings' | 'environment' | 'routing' | 'callbackUrl'>,
) {
  const { settings } = options;
  const environment = options.environment ?? process.env;
  const dispatcher = createGuardedAgent({ allowPrivateNetwork: settings.allowPrivateNetwork });
  const http = {
    dispatcher,
    allowPrivateNetwork: settings.allowPrivateNetwork,
    observer: providerHttpObserver(klingflowMetrics),
  };
  const providers = new ProviderRegistry(
    createConfiguredProviders(environment, http),
    settings.providerOrder,
    settings.priceRates,
  );
  const storage = createVideoStorage(settings, environment);
  const images = imageResolverFactory({
    storage,
    dispatcher,
    allowPrivateNetwork: settings.allowPrivateNetwork,
  });
  const activities = createActivities({
    providers,
    storage,
    images,
    http,
    routing: routingSettings(settings, options.routing),
    ...(options.callbackUrl ? { callbackUrl: options.callbackUrl } : {}),
    environment,
  });
  return { dispatcher, providers, storage, activities };
}

/** The main worker: workflows, route planning, downloads and storage. */
function createMainWorker(
  options: KlingflowWorkerOptions,
  activities: ReturnType<typeof createActivities>,
): Promise<Worker> {
  const { workflowModules, ...source } = workflowSource(options);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.settings.taskQueue,
    activities,
    ...source,
    interceptors: {
      activity: activityTelemetry(klingflowMetrics, options.tracing),
      ...(workflowModules ? { workflowModules } : {}),
    },
    sinks: workflowSinks(klingflowMetrics, options.tracing),
    // In-flight downloads get time to checkpoint their offset before the worker exits.
    shutdownGraceTime: '10 seconds',
    // The SDK sends heartbeats at most every 0.8 × heartbeatTimeout (8 s for downloads) by
    // default; a download's offset must reach the server within about a second so a worker
    // killed mid-download loses little, and cancellation arrives promptly.
    maxHeartbeatThrottleInterval: '1 second',
    ...options.workerOptions,
  });
}

/** A worker polling only one provider's task queue, at the provider's rate limit. */
function createProviderWorker(
  options: KlingflowWorkerOptions,
  providerId: ProviderId,
  activities: Record<string, unknown>,
): Promise<Worker> {
  const rate = options.settings.providerRateLimits[providerId];
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: providerTaskQueue(options.settings.taskQueue, providerId),
    activities,
    interceptors: { activity: activityTelemetry(klingflowMetrics, options.tracing) },
    ...(rate !== undefined ? { maxTaskQueueActivitiesPerSecond: rate } : {}),
    // A graceful stop (SIGTERM, a deploy) lets every submit in flight finish and be
    // recorded: the submit ignores the shutdown's cancellation, and this grace covers its
    // whole start-to-close, so the SDK never has to cut it. Stops without a submit in
    // flight are not slowed down.
    shutdownGraceTime: SUBMIT_START_TO_CLOSE_MS,
    // A submit's heartbeats reach the server within a second, well inside its heartbeat timeout.
    maxHeartbeatThrottleInterval: '1 second',
  });
}

/** How routes are planned: settings, learned render times, then any overrides (tests, bench). */
function routingSettings(
  settings: KlingflowSettings,
  overrides: Partial<RoutingSettings> = {},
): RoutingSettings {
  return {
    pollIntervalMs: settings.pollIntervalMs,
    initialWaitShare: 0.8,
    providerConcurrency: settings.providerConcurrency,
    ...(settings.initialWaitMs !== undefined ? { initialWaitMs: settings.initialWaitMs } : {}),
    // Learned render times pick the first poll (poll-policy.ts); kept on this worker's disk.
    renderTimes: createRenderTimeStore({ path: renderTimeStorePath(settings.storageDirectory) }),
    ...overrides,
  };
}

/** The prebuilt bundle in KLINGFLOW_WORKFLOW_BUNDLE_DIR for this worker's tracing, if set. */
export function prebuiltBundleIn(
  directory: string | undefined,
  tracing: KlingflowTracing | undefined,
): WorkerOptions['workflowBundle'] {
  if (directory === undefined) return undefined;
  const file = basename(tracing ? PREBUILT_WORKFLOW_BUNDLE : PREBUILT_UNTRACED_WORKFLOW_BUNDLE);
  const codePath = join(directory, file);
  if (!existsSync(codePath)) {
    throw new ConfigurationError(
      VARIABLES.workflowBundleDirectory,
      `has no ${file} (npm run build writes it into dist/src)`,
    );
  }
  return { codePath };
}

/**
 * The given bundle, else the one in KLINGFLOW_WORKFLOW_BUNDLE_DIR, else the prebuilt one
 * (compiled package; untraced when tracing is off), else bundle the sources now with the
 * interceptor modules (a prebuilt bundle carries its own).
 */
function workflowSource(
  options: Pick<KlingflowWorkerOptions, 'workflowBundle' | 'tracing' | 'settings'>,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> & { workflowModules?: string[] } {
  const { tracing } = options;
  const bundle =
    options.workflowBundle ?? prebuiltBundleIn(options.settings.workflowBundleDirectory, tracing);
  if (bundle) return { workflowBundle: bundle };
  if (!tracing && existsSync(PREBUILT_UNTRACED_WORKFLOW_BUNDLE))
    return { workflowBundle: { codePath: PREBUILT_UNTRACED_WORKFLOW_BUNDLE } };
  if (existsSync(PREBUILT_WORKFLOW_BUNDLE))
    return { workflowBundle: { codePath: PREBUILT_WORKFLOW_BUNDLE } };
  return {
    workflowsPath: WORKFLOWS_PATH,
    workflowModules: workflowInterceptorModules(tracing !== undefined),
  };
}

export { NativeConnection };
