import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { GenerateVideoInput, GenerationStatus } from '../../src/contracts/generation.js';
import { statusQuery } from '../../src/contracts/messages.js';
import { type SimulatedProviderSet, startSimulatedProviders } from '../../src/simulated/index.js';
import { videoStorageKey } from '../../src/storage/storage-key.js';
import { childEnvironment } from '../support/child-environment.js';
import {
  endProcesses,
  type KlingflowProcess,
  runKlingflow,
  runningProcesses,
  startWorkerProcess,
} from '../support/processes.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * Rule 5, ids are single-use per request, driven through `node bin/klingflow.js` with a real
 * worker process and the provider fakes: the same request with an existing id follows that job
 * (running or finished) and submits nothing; another request with it exits 2 naming the id.
 */

let providers: SimulatedProviderSet;
let storageDirectory: string;
let environment: NodeJS.ProcessEnv;
let worker: KlingflowProcess;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  const address = inject('temporalAddress');
  providers = await startSimulatedProviders({ renderMs: 300 });
  storageDirectory = await mkdtemp(join(tmpdir(), 'klingflow-e2e-ids-'));
  environment = childEnvironment({
    ...providers.environment,
    TEMPORAL_ADDRESS: address,
    KLINGFLOW_TASK_QUEUE: `e2e-ids-${randomUUID()}`,
    KLINGFLOW_STORAGE_DIR: storageDirectory,
    KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
    KLINGFLOW_POLL_INTERVAL: '200ms',
    KLINGFLOW_INITIAL_WAIT: '0',
  });
  worker = await startWorkerProcess(environment);
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: 'default' });
});

afterAll(async () => {
  expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  await endProcesses();
  expect(runningProcesses()).toEqual([]);
  await connection.close();
  await providers.stop();
  await rm(storageDirectory, { recursive: true, force: true });
});

const klingflow = (...args: string[]) => runKlingflow(args, environment);

function totalSubmissions(): number {
  return Object.values(providers.fakes).reduce((sum, fake) => sum + fake.submissions, 0);
}

const request = ['--model', 'kling-v1.6', '--providers', 'hyprlab'];

describe('generate --id: ids are single-use per request', () => {
  it('after the job finished: the same request returns its result, another exits 2 naming the id', async () => {
    const id = `e2e-id-${randomUUID()}`;
    const before = totalSubmissions();
    const first = await klingflow(
      'generate',
      '--prompt',
      'a red kite',
      ...request,
      '--id',
      id,
      '--wait',
      '--json',
    );
    expect(first.code, first.output).toBe(0);
    const status = JSON.parse(first.stdout) as GenerationStatus;
    expect(status).toMatchObject({ workflowId: id, status: 'succeeded' });
    // The ledger is part of the contract's JSON.
    expect(status.spend).toEqual({
      usd: expect.any(Number),
      byUnit: expect.any(Object),
      tasks: expect.any(Array),
    });

    const again = await klingflow(
      'generate',
      '--prompt',
      'a red kite',
      ...request,
      '--id',
      id,
      '--wait',
      '--json',
    );
    expect(again.code, again.output).toBe(0);
    expect(again.stderr).toContain(`${id} already exists for this request`);
    const reused = JSON.parse(again.stdout) as GenerationStatus;
    expect(reused.videos).toEqual(status.videos);

    const other = await klingflow(
      'generate',
      '--prompt',
      'a blue kite',
      ...request,
      '--id',
      id,
      '--wait',
    );
    expect(other.code, other.output).toBe(2);
    expect(other.stderr).toContain('id:');
    expect(other.stderr).toContain(id);
    expect(other.stdout).toBe('');

    // A different budget is a different request too.
    const budget = await klingflow(
      'generate',
      '--prompt',
      'a red kite',
      ...request,
      '--max-cost',
      '5',
      '--id',
      id,
    );
    expect(budget.code, budget.output).toBe(2);

    // How the job runs is not what it buys: followed, but the caller hears its setting is not
    // applied (a pipeline would otherwise wait for a notification that never comes).
    const notify = await runKlingflow(
      [
        'generate',
        '--prompt',
        'a red kite',
        ...request,
        '--notify-url',
        'https://hooks.example/done',
        '--id',
        id,
      ],
      { ...environment, KLINGFLOW_NOTIFY_SECRET: `whsec_${randomBytes(32).toString('base64')}` },
    );
    expect(notify.code, notify.output).toBe(0);
    expect(notify.stderr).toContain(
      "it keeps its own --notify-url as started: this command's value is not applied",
    );
    expect(again.stderr).not.toContain('it keeps its own');

    expect(totalSubmissions() - before).toBe(1);
  });

  it('while the job runs: the same request follows it, another exits 2, and status --json carries spend', async () => {
    const hyprlab = providers.fakes.hyprlab;
    hyprlab.renderMs = 3_000;
    try {
      const id = `e2e-id-running-${randomUUID()}`;
      const before = totalSubmissions();
      const started = await klingflow(
        'generate',
        '--prompt',
        'a slow glacier',
        ...request,
        '--id',
        id,
      );
      expect(started.code, started.output).toBe(0);
      expect(started.stdout.trim()).toBe(id);
      const handle = client.workflow.getHandle(id);
      await waitUntil(
        'the job waits for its task',
        async () => (await handle.query(statusQuery)).phase === 'waiting',
        {
          processes: [worker],
        },
      );

      const other = await klingflow(
        'generate',
        '--prompt',
        'a fast glacier',
        ...request,
        '--id',
        id,
      );
      expect(other.code, other.output).toBe(2);
      expect(other.stderr).toContain(id);

      const same = await klingflow(
        'generate',
        '--prompt',
        'a slow glacier',
        ...request,
        '--id',
        id,
        '--wait',
        '--json',
      );
      expect(same.code, same.output).toBe(0);
      expect(JSON.parse(same.stdout)).toMatchObject({ workflowId: id, status: 'succeeded' });
      expect(totalSubmissions() - before).toBe(1);

      const status = await klingflow('status', id, '--json');
      expect(status.code, status.output).toBe(0);
      expect(JSON.parse(status.stdout)).toHaveProperty('spend');
      const human = await klingflow('status', id);
      expect(human.stdout).toMatch(/^ {2}spend: \$\d+\.\d\d/m);
    } finally {
      hyprlab.renderMs = 300;
    }
  });

  it('exits 2 for an id whose video is stored but whose job Temporal no longer has', async () => {
    const id = `e2e-gone-${randomUUID()}`;
    // A run of this id left its video before its history went (retention, another server).
    const earlier = join(storageDirectory, `${videoStorageKey(id)}.mp4`);
    await writeFile(earlier, 'an earlier video');
    const before = totalSubmissions();

    const result = await klingflow('generate', '--prompt', 'a heron', ...request, '--id', id);

    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain(`workflowId: ${id} already has a stored video (${earlier})`);
    await expect(client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    expect(totalSubmissions()).toBe(before);
    expect(await readFile(earlier, 'utf8')).toBe('an earlier video');
  });

  it('passes --failover-stuck-after to the job, and refuses a duration that is not positive', async () => {
    const id = `e2e-stuck-${randomUUID()}`;
    const bad = await klingflow(
      'generate',
      '--prompt',
      'a heron',
      ...request,
      '--failover-stuck-after',
      '0s',
      '--id',
      id,
    );
    expect(bad.code, bad.output).toBe(2);
    expect(bad.stderr).toContain('--failover-stuck-after:');
    await expect(client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );

    const good = await klingflow(
      'generate',
      '--prompt',
      'a heron',
      ...request,
      '--failover-stuck-after',
      '20m',
      '--id',
      id,
      '--wait',
    );
    expect(good.code, good.output).toBe(0);
    const history = await client.workflow.getHandle(id).fetchHistory();
    const payload =
      history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as GenerateVideoInput;
    expect(input.failoverStuckAfterMs).toBe(1_200_000);
  });
});
