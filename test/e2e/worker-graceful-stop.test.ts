import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { GENERATE_VIDEO_WORKFLOW, type GenerationStatus } from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { type SimulatedProviderSet, startSimulatedProviders } from '../../src/simulated/index.js';
import { childEnvironment } from '../support/child-environment.js';
import {
  describeExit,
  endProcesses,
  runningProcesses,
  startWorkerProcess,
} from '../support/processes.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * A deploy or `docker compose restart` stops the worker with SIGTERM. A submit in flight at
 * that moment must finish and be recorded: aborted, the provider keeps (and bills) a task the
 * job never hears of, and before the fix the job failed over and paid a second provider.
 */
describe('a worker stopped gracefully during a slow submit', () => {
  let connection: Connection;
  let client: Client;
  let providers: SimulatedProviderSet;
  let storageDirectory: string;
  let environment: NodeJS.ProcessEnv;
  let taskQueue: string;

  beforeEach(async () => {
    const address = inject('temporalAddress');
    connection = await Connection.connect({ address });
    client = new Client({ connection });
    providers = await startSimulatedProviders({ renderMs: 300, only: ['hyprlab', 'kling'] });
    storageDirectory = await mkdtemp(join(tmpdir(), 'klingflow-graceful-stop-'));
    taskQueue = `graceful-stop-${randomUUID()}`;
    environment = childEnvironment({
      ...providers.environment,
      TEMPORAL_ADDRESS: address,
      KLINGFLOW_TASK_QUEUE: taskQueue,
      KLINGFLOW_STORAGE_DIR: storageDirectory,
      KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
      KLINGFLOW_POLL_INTERVAL: '200ms',
      KLINGFLOW_INITIAL_WAIT: '0',
    });
  });

  afterEach(async () => {
    await endProcesses();
    expect(runningProcesses()).toEqual([]);
    await providers.stop();
    await connection.close();
    await rm(storageDirectory, { recursive: true, force: true });
  });

  it('lets the submit finish and record its task: one task in total, the job completes', async () => {
    const hyprlab = providers.fakes.hyprlab;
    hyprlab.injectFault({
      route: 'submit',
      times: 1,
      fault: { type: 'accept-then-delay', ms: 8_000 },
    });
    const first = await startWorkerProcess(environment);
    const handle = await client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue,
      workflowId: `${taskQueue}-job`,
      args: [
        {
          request: parseUnifiedRequest({ prompt: 'a deploy mid-submit', model: 'kling-v1.6' }),
          providers: ['hyprlab', 'kling'],
        },
      ],
    });
    await waitUntil(
      'HyprLab has created the task (its answer is still on the way)',
      () => hyprlab.submissions === 1,
      {
        processes: [first],
      },
    );
    const exit = await first.kill('SIGTERM', 60_000);
    expect(describeExit(exit), first.output).toBe('exit code 0');
    // The answer arrived before the worker exited: the submit is recorded in the history.
    const history = await handle.fetchHistory();
    const completed = (history.events ?? []).filter(
      (event) =>
        event.activityTaskCompletedEventAttributes !== undefined &&
        event.activityTaskCompletedEventAttributes !== null,
    );
    expect(completed.length).toBeGreaterThanOrEqual(1);

    await startWorkerProcess(environment);
    const status = (await handle.result()) as GenerationStatus;
    expect(status.status).toBe('succeeded');
    expect(status.attempts.map((attempt) => [attempt.provider, attempt.outcome])).toEqual([
      ['hyprlab', 'succeeded'],
    ]);
    expect(hyprlab.submissions).toBe(1);
    expect(hyprlab.requestsFor('submit')).toHaveLength(1);
    expect(providers.fakes.kling.submissions).toBe(0);
  }, 180_000);
});
