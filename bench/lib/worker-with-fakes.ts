import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { KlingflowSettings } from '../../src/config/environment.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { type SimulatedProviderSet, startSimulatedProviders } from '../../src/simulated/index.js';
import { createCallbackServer } from '../../src/webhooks/callback-server.js';
import { callbackUrlBuilder } from '../../src/webhooks/callback-token.js';
import {
  createKlingflowWorker,
  type KlingflowWorker,
  type KlingflowWorkerOptions,
} from '../../src/worker.js';

/**
 * An in-process klingflow worker on its own task queue and storage directory, with simulated
 * providers and, optionally, the callback server: what the benchmarks that measure one job's
 * behaviour (detection latency, history cost) each set up.
 */
export interface WorkerWithFakes {
  client: Client;
  worker: KlingflowWorker;
  providers: SimulatedProviderSet;
  taskQueue: string;
  /** Stops the callback server, closes both connections, stops the fakes, removes storage. */
  close(): Promise<void>;
}

export async function startWorkerWithFakes(options: {
  address: string;
  /** Task queue and storage directory prefix, e.g. `detect`. */
  name: string;
  providers: ProviderId[];
  renderMs?: number;
  /** Log-normal spread of the fakes' render times (src/simulated/render-time.ts); 0 by default. */
  renderSpread?: number;
  pollIntervalMs: number;
  /** A fixed wait before the first poll; absent, the route planner decides (learned or catalog). */
  initialWaitMs?: number;
  /** Route-planning overrides (first-poll policy, catalog share, learned render times). */
  routing?: KlingflowWorkerOptions['routing'];
  /** Start the callback server and give providers callback URLs. */
  webhooks: boolean;
  workflowBundle?: KlingflowWorkerOptions['workflowBundle'];
}): Promise<WorkerWithFakes> {
  const storage = await mkdtemp(join(tmpdir(), `klingflow-${options.name}-`));
  const providers = await startSimulatedProviders({
    only: options.providers,
    ...(options.renderMs !== undefined ? { renderMs: options.renderMs } : {}),
  });
  if (options.renderSpread !== undefined) {
    for (const fake of Object.values(providers.fakes)) fake.renderSpread = options.renderSpread;
  }
  const taskQueue = `${options.name}-${randomUUID()}`;
  const settings: KlingflowSettings = {
    taskQueue,
    storageDirectory: storage,
    providerOrder: undefined,
    pollIntervalMs: options.pollIntervalMs,
    initialWaitMs: options.initialWaitMs,
    allowPrivateNetwork: true,
    providerRateLimits: {},
    providerConcurrency: {},
  };
  const connection = await Connection.connect({ address: options.address });
  const client = new Client({ connection });
  const workerConnection = await NativeConnection.connect({ address: options.address });
  const secret = randomUUID();
  const callbacks = options.webhooks
    ? await createCallbackServer({ port: 0, host: '127.0.0.1', client, secret })
    : undefined;
  const worker = await createKlingflowWorker({
    connection: workerConnection,
    namespace: 'default',
    settings,
    environment: providers.environment,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
    ...(options.routing ? { routing: options.routing } : {}),
    ...(callbacks
      ? { callbackUrl: callbackUrlBuilder(`http://127.0.0.1:${callbacks.port}`, secret) }
      : {}),
  });
  return {
    client,
    worker,
    providers,
    taskQueue,
    async close() {
      await callbacks?.close();
      await connection.close();
      await workerConnection.close();
      await providers.stop();
      await rm(storage, { recursive: true, force: true });
    },
  };
}
