import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { expect, inject } from 'vitest';
import type { ProviderId } from '../../src/request/unified-request.js';
import { type SimulatedProviderSet, startSimulatedProviders } from '../../src/simulated/index.js';
import { childEnvironment } from './child-environment.js';
import { endProcesses, runningProcesses } from './processes.js';

/** What an e2e test needs to run `klingflow worker` processes against provider fakes. */
export interface ProcessStack {
  client: Client;
  providers: SimulatedProviderSet;
  storageDirectory: string;
  /** The environment for worker processes: the fakes, a fresh task queue and storage, fast polls. */
  environment: NodeJS.ProcessEnv;
  taskQueue: string;
  /** Ends every worker process (and checks none is left), the fakes, the connection and storage. */
  stop(): Promise<void>;
}

/** `only`: the fakes to start (HyprLab and Kling by default), or every one. */
export async function startProcessStack(
  name: string,
  only: ProviderId[] | 'all' = ['hyprlab', 'kling'],
): Promise<ProcessStack> {
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const providers = await startSimulatedProviders({
    renderMs: 300,
    ...(only === 'all' ? {} : { only }),
  });
  const storageDirectory = await mkdtemp(join(tmpdir(), `klingflow-${name}-`));
  const taskQueue = `${name}-${randomUUID()}`;
  const environment = childEnvironment({
    ...providers.environment,
    TEMPORAL_ADDRESS: address,
    KLINGFLOW_TASK_QUEUE: taskQueue,
    KLINGFLOW_STORAGE_DIR: storageDirectory,
    KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
    KLINGFLOW_POLL_INTERVAL: '200ms',
    KLINGFLOW_INITIAL_WAIT: '0',
  });
  return {
    client: new Client({ connection }),
    providers,
    storageDirectory,
    environment,
    taskQueue,
    async stop() {
      await endProcesses();
      expect(runningProcesses()).toEqual([]);
      await providers.stop();
      await connection.close();
      await rm(storageDirectory, { recursive: true, force: true });
    },
  };
}
