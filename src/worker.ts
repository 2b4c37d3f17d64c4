import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import type { KlingflowSettings } from './config/environment.js';
import { createGuardedAgent } from './http/guarded-agent.js';
import { createConfiguredProviders } from './providers/configured-providers.js';
import { ProviderRegistry } from './providers/registry.js';
import { createFilesystemStorage } from './storage/filesystem-storage.js';
import { createImageResolver } from './storage/image-resolver.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface KlingflowWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  settings: KlingflowSettings;
  /** Provider keys and base URLs; the worker's environment by default. */
  environment?: NodeJS.ProcessEnv;
  /** A prebuilt workflow bundle (tests bundle once for the whole run). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  callbackUrl?: (workflowId: string, attempt: number) => string | undefined;
  /** Overrides for tests and benchmarks (concurrency, shutdown grace). */
  workerOptions?: Partial<WorkerOptions>;
}

/** A worker with every workflow and activity of klingflow, dependencies built from settings. */
export async function createKlingflowWorker(options: KlingflowWorkerOptions): Promise<Worker> {
  const { settings } = options;
  const dispatcher = createGuardedAgent({ allowPrivateNetwork: settings.allowPrivateNetwork });
  const http = { dispatcher, allowPrivateNetwork: settings.allowPrivateNetwork };
  const providers = new ProviderRegistry(
    createConfiguredProviders(options.environment ?? process.env, http),
    settings.providerOrder,
  );
  const storage = createFilesystemStorage({ rootDirectory: settings.storageDirectory });
  const images = createImageResolver({
    storage,
    dispatcher,
    allowPrivateNetwork: settings.allowPrivateNetwork,
  });
  const activities = createActivities({
    providers,
    storage,
    images,
    http,
    routing: {
      pollIntervalMs: settings.pollIntervalMs,
      initialWaitShare: 0.8,
      ...(settings.initialWaitMs !== undefined ? { initialWaitMs: settings.initialWaitMs } : {}),
    },
    ...(options.callbackUrl ? { callbackUrl: options.callbackUrl } : {}),
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: settings.taskQueue,
    activities,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
    // In-flight downloads get time to checkpoint their offset before the worker exits.
    shutdownGraceTime: '10 seconds',
    ...options.workerOptions,
  });
}

export { NativeConnection };
