import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { it as base, inject } from 'vitest';
import type { KlingflowSettings } from '../../src/config/environment.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { type SimulatedProviderSet, startSimulatedProviders } from '../../src/simulated/index.js';
import {
  createKlingflowWorker,
  type KlingflowWorker,
  type KlingflowWorkerOptions,
} from '../../src/worker.js';

export interface WorkerTestOptions extends Pick<KlingflowWorkerOptions, 'routing' | 'callbackUrl'> {
  environment?: NodeJS.ProcessEnv;
}

export interface IntegrationContext {
  client: Client;
  taskQueue: string;
  storageDirectory: string;
  providers: SimulatedProviderSet;
  settings: KlingflowSettings;
  /**
   * Starts a worker on this test's task queue (its own connection) — call `shutdown` or use
   * runUntil. `environment` adds variables to the fakes' (e.g. KLINGFLOW_NOTIFY_SECRET);
   * `routing` overrides the first-poll policy; `callbackUrl` hands providers callback URLs.
   */
  createWorker(
    overrides?: Partial<KlingflowSettings>,
    options?: WorkerTestOptions,
  ): Promise<KlingflowWorker>;
  teardown(): Promise<void>;
}

/**
 * Connects to the run's shared dev server (see test/setup) with a unique task queue and a fresh
 * storage directory, and starts the provider fakes the test asks for.
 */
export async function createIntegrationContext(
  options: { providers?: readonly ProviderId[]; renderMs?: number } = {},
): Promise<IntegrationContext> {
  const address = inject('temporalAddress');
  const workflowBundlePath = inject('workflowBundlePath');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const storageDirectory = await mkdtemp(join(tmpdir(), 'klingflow-videos-'));
  const providers = await startSimulatedProviders({
    renderMs: options.renderMs ?? 300,
    ...(options.providers ? { only: options.providers } : {}),
  });
  const taskQueue = `test-${randomUUID()}`;
  const settings: KlingflowSettings = {
    taskQueue,
    storageDirectory,
    providerOrder: undefined,
    pollIntervalMs: 200,
    initialWaitMs: 0,
    allowPrivateNetwork: true,
    providerRateLimits: {},
    providerConcurrency: {},
  };
  const workerConnections: NativeConnection[] = [];
  return {
    client,
    taskQueue,
    storageDirectory,
    providers,
    settings,
    async createWorker(overrides = {}, { environment = {}, ...options }: WorkerTestOptions = {}) {
      const workerConnection = await NativeConnection.connect({ address });
      workerConnections.push(workerConnection);
      return createKlingflowWorker({
        connection: workerConnection,
        namespace: 'default',
        settings: { ...settings, ...overrides },
        environment: { ...providers.environment, ...environment },
        workflowBundle: { codePath: workflowBundlePath },
        ...options,
      });
    },
    async teardown() {
      await providers.stop();
      await Promise.all(workerConnections.map((workerConnection) => workerConnection.close()));
      await connection.close();
      await rm(storageDirectory, { recursive: true, force: true });
    },
  };
}

/**
 * `it` with a `context` fixture: each test gets an integration context of its own (fakes, task
 * queue, storage), torn down after it, so a describe.concurrent block's tests run side by side.
 */
export function itWithContext(options: Parameters<typeof createIntegrationContext>[0]) {
  return base.extend<{ context: IntegrationContext }>({
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from it
    context: async ({}, use) => {
      const context = await createIntegrationContext(options);
      await use(context);
      await context.teardown();
    },
  });
}
