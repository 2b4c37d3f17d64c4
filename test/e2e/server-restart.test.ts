import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { statusQuery } from '../../src/contracts/messages.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { type SimulatedProviderSet, startSimulatedProviders } from '../../src/simulated/index.js';
import { type RunningDevServer, startDevServer } from '../../src/temporal/dev-server.js';
import { childEnvironment } from '../support/child-environment.js';
import { freePort } from '../support/free-port.js';
import { endProcesses, runningProcesses, startWorkerProcess } from '../support/processes.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * Its own dev server (not the run's shared one), stopped and started again on the same port and
 * SQLite file while a job waits for the provider: the job lives in the file, the worker process
 * reconnects on its own, and the provider sees the job once.
 */
describe('the Temporal dev server restarted on the same SQLite file mid-job', () => {
  let directory: string;
  let servers: RunningDevServer[];
  let connection: Connection | undefined;
  let providers: SimulatedProviderSet;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'klingflow-e2e-restart-'));
    servers = [];
    connection = undefined;
    providers = await startSimulatedProviders({ renderMs: 4_000, only: ['hyprlab'] });
  });

  afterEach(async (context) => {
    const output = await endProcesses();
    if (context.task.result?.state === 'fail') console.error(output);
    expect(runningProcesses()).toEqual([]);
    await connection?.close();
    for (const server of servers) await server.stop();
    await providers.stop();
    await rm(directory, { recursive: true, force: true });
  });

  async function startServer(port: number): Promise<RunningDevServer> {
    const server = await startDevServer({
      port,
      headless: true,
      dbFilename: join(directory, 'temporal.db'),
      output: 'ignore',
    });
    servers.push(server);
    return server;
  }

  it('finishes the job with exactly one submission, and the worker process survives the restart', async () => {
    const hyprlab = providers.fakes.hyprlab;
    const port = await freePort();
    const first = await startServer(port);
    const taskQueue = `e2e-${randomUUID()}`;
    const worker = await startWorkerProcess(
      childEnvironment({
        ...providers.environment,
        TEMPORAL_ADDRESS: first.address,
        KLINGFLOW_TASK_QUEUE: taskQueue,
        KLINGFLOW_STORAGE_DIR: join(directory, 'videos'),
        KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
        KLINGFLOW_POLL_INTERVAL: '200ms',
        KLINGFLOW_INITIAL_WAIT: '0',
      }),
    );
    connection = await Connection.connect({ address: first.address });
    const client = new Client({ connection, namespace: 'default' });
    const handle = await client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue,
      workflowId: `e2e-restart-${randomUUID()}`,
      args: [
        {
          request: parseUnifiedRequest({ prompt: 'a paper boat on a river', model: 'kling-v1.6' }),
          providers: ['hyprlab'],
        } satisfies GenerateVideoInput,
      ],
    });

    await waitUntil(
      'the job waits for the provider',
      async () => (await handle.query(statusQuery)).phase === 'waiting',
      { processes: [worker] },
    );
    await first.stop();
    const pollsWhileFirstServerRan = hyprlab.requestsFor('status').length;
    expect(hyprlab.requestsFor('download')).toEqual([]);
    const second = await startServer(port);
    expect(second.address).toBe(first.address);
    expect(second.pid).not.toBe(first.pid);

    const result: GenerationStatus = await handle.result();

    expect(worker.hasExited).toBe(false);
    expect(result).toMatchObject({ status: 'succeeded', phase: 'done', provider: 'hyprlab' });
    expect(hyprlab.submissions).toBe(1);
    expect(hyprlab.requestsFor('submit')).toHaveLength(1);
    // The same worker process went on polling for the restarted server.
    expect(hyprlab.requestsFor('status').length).toBeGreaterThan(pollsWhileFirstServerRan);
    const stored = await readFile(result.videos[0]!.path);
    expect(sha256(stored)).toBe(sha256(hyprlab.videoBuffer));
  }, 180_000);
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
