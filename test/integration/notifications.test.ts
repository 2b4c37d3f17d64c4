import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it, type TestContext, vi } from 'vitest';
import { KlingflowClient } from '../../src/client/klingflow-client.js';
import { batchWorkflowId } from '../../src/contracts/batch.js';
import type { GenerationStatus } from '../../src/contracts/generation.js';
import { generationStatusSchema } from '../../src/contracts/workflow-payloads.js';
import { createFilesystemStorage } from '../../src/storage/filesystem-storage.js';
import { childEnvironment } from '../support/child-environment.js';
import { startNotifyReceiver } from '../support/notify-receiver.js';
import { runKlingflow } from '../support/processes.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';
import { waitUntil } from '../support/wait-until.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const REQUEST = { prompt: 'a lighthouse at dusk', model: 'kling-v1.6' } as const;
/** Retries in milliseconds instead of seconds, so a receiver that is down a while is quick. */
const FAST = { notifyRetryIntervalMs: 20 };

/**
 * Completion notifications on a real dev server, to a real HTTP receiver on loopback: signed the
 * Standard Webhooks way (verified with the reference library), retried with one webhook-id, and
 * recorded in the job's status without changing its outcome.
 */
describe('completion notifications', () => {
  beforeAll(() => {
    // The client checks the URL (loopback needs the test allowance) and the secret up front.
    // Set once for the block: its tests run side by side, so none may unset them for another.
    vi.stubEnv('KLINGFLOW_NOTIFY_SECRET', SECRET);
    vi.stubEnv('KLINGFLOW_ALLOW_PRIVATE_NETWORK', '1');
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  /**
   * A test's own stack (task queue, fakes, receiver, worker), torn down when that test ends: the
   * tests share nothing, so they run concurrently.
   */
  async function setUp(
    onTestFinished: TestContext['onTestFinished'],
    answer?: Parameters<typeof startNotifyReceiver>[0],
  ) {
    const context = await createIntegrationContext({ providers: ['hyprlab'] });
    const receiver = await startNotifyReceiver(answer);
    onTestFinished(async () => {
      await receiver.close();
      await context.teardown();
    });
    const client = new KlingflowClient({
      connection: context.client.connection as Connection,
      taskQueue: context.taskQueue,
      storage: createFilesystemStorage({ rootDirectory: context.storageDirectory }),
      availableProviders: ['hyprlab'],
    });
    const worker = await context.createWorker(
      {},
      { environment: { KLINGFLOW_NOTIFY_SECRET: SECRET } },
    );
    const url = receiver.url;
    /** One job with a notify URL, to its end (`whileRunning` acts on it meanwhile). */
    const runJob = (whileRunning?: (workflowId: string) => Promise<void>) =>
      worker.runUntil(async () => {
        const { workflowId } = await client.startGeneration(REQUEST, { notifyUrl: url, ...FAST });
        await whileRunning?.(workflowId);
        return client.waitForResult(workflowId);
      });
    return { context, receiver, client, worker, runJob, fake: context.providers.fakes.hyprlab! };
  }

  /** The body, verified with the reference library against the headers it came with. */
  function verified(notification: { headers: Record<string, unknown>; body: string }) {
    return new Webhook(SECRET).verify(
      notification.body,
      notification.headers as Record<string, string>,
    ) as GenerationStatus;
  }

  it.concurrent('POSTs a succeeded job’s status, signed, and records the delivery in its status', async ({
    onTestFinished,
  }) => {
    const { context, receiver, runJob } = await setUp(onTestFinished);
    const status = await runJob();
    const workflowId = status.workflowId;

    expect(receiver.received).toHaveLength(1);
    const [notification] = receiver.received;
    const body = verified(notification!);
    expect(body).toMatchObject({ workflowId, status: 'succeeded', phase: 'done' });
    expect(body.videos).toEqual(status.videos);
    expect(notification!.headers['content-type']).toBe('application/json');
    // A forged body does not verify.
    expect(() =>
      verified({ ...notification!, body: notification!.body.replace('succeeded', 'failed') }),
    ).toThrow();

    expect(status.status).toBe('succeeded');
    expect(status.notification).toEqual({
      url: receiver.url.replace(/\?.*$/, '?…'),
      webhookId: notification!.headers['webhook-id'],
      state: 'delivered',
      attempts: 1,
    });
    expect(generationStatusSchema.parse(status)).toEqual(status);
    // The secret reaches neither the job's history nor its status.
    const history = await context.client.workflow.getHandle(workflowId).fetchHistory();
    const secretKey = SECRET.slice('whsec_'.length);
    expect(JSON.stringify(history)).not.toContain(secretKey);
    expect(JSON.stringify(status)).not.toContain(secretKey);
  });

  it.concurrent('notifies for a failed job too, and the failure stays the job’s own', async ({
    onTestFinished,
  }) => {
    const { receiver, runJob, fake } = await setUp(onTestFinished);
    fake.defaultOutcome = { type: 'fail', message: 'internal error' };
    const status = await runJob();

    expect(status.status).toBe('failed');
    expect(receiver.received).toHaveLength(1);
    expect(verified(receiver.received[0]!)).toMatchObject({
      workflowId: status.workflowId,
      status: 'failed',
      error: status.error,
    });
    expect(status.notification).toMatchObject({ state: 'delivered', attempts: 1 });
  });

  it.concurrent('notifies for a cancelled job', async ({ onTestFinished }) => {
    const { client, receiver, runJob, fake } = await setUp(onTestFinished);
    fake.renderMs = 60_000;
    const status = await runJob(async (workflowId) => {
      await waitUntil('the task is submitted', () => fake.submissions === 1);
      await client.cancel(workflowId);
    });

    expect(status.status).toBe('cancelled');
    expect(verified(receiver.received[0]!)).toMatchObject({ status: 'cancelled' });
    expect(status.notification).toMatchObject({ state: 'delivered', attempts: 1 });
  });

  it.concurrent('retries a receiver that is down for a while, with the same webhook-id every time', async ({
    onTestFinished,
  }) => {
    // Two dropped connections, two 503s, then it takes it.
    const answers = ['reset', 'reset', 503, 503] as const;
    const { receiver, runJob } = await setUp(
      onTestFinished,
      (attempt) => answers[attempt - 1] ?? 200,
    );
    const status = await runJob();

    expect(receiver.received).toHaveLength(5);
    const ids = new Set(receiver.received.map((request) => request.headers['webhook-id']));
    expect(ids.size).toBe(1);
    // Each attempt is signed on its own (fresh timestamp), and each verifies.
    for (const request of receiver.received) expect(verified(request).status).toBe('succeeded');
    expect(status.status).toBe('succeeded');
    expect(status.notification).toMatchObject({
      webhookId: [...ids][0],
      state: 'delivered',
      attempts: 5,
    });
  });

  it.concurrent('gives up on a receiver that refuses it (4xx), and the job still succeeded', async ({
    onTestFinished,
  }) => {
    const { receiver, runJob } = await setUp(onTestFinished, () => 404);
    const status = await runJob();

    // A 404 is permanent: no retry.
    expect(receiver.received).toHaveLength(1);
    expect(status.status).toBe('succeeded');
    expect(status.videos).toHaveLength(1);
    expect(status.notification).toMatchObject({ state: 'failed', attempts: 1 });
    expect(status.notification?.lastError).toMatch(/HTTP 404/);
    expect(status.notification?.lastError).not.toContain('receiver-secret');
  });

  it.concurrent('notifies once the whole batch has ended, and each item that asked for it', async ({
    onTestFinished,
  }) => {
    const { client, worker, receiver } = await setUp(onTestFinished);
    const batchId = `notify-${Math.random().toString(36).slice(2, 8)}`;
    const itemUrl = `${receiver.url.replace(/\?.*$/, '')}/item`;
    const result = await worker.runUntil(async () => {
      await client.startBatch(
        [
          { id: 'a', request: REQUEST, notifyUrl: itemUrl },
          { id: 'b', request: { ...REQUEST, prompt: 'waves on rocks' } },
        ],
        { batchId, notifyUrl: receiver.url, ...FAST },
      );
      return client.waitForBatch(batchId);
    });

    expect(receiver.received).toHaveLength(2);
    const [item, batch] = receiver.received;
    expect(verified(item!)).toMatchObject({ workflowId: result.items[0]!.workflowId });
    expect(verified(batch!)).toMatchObject({
      batchId,
      workflowId: batchWorkflowId(batchId),
      state: 'completed',
      total: 2,
      succeeded: 2,
    });
    expect(result.notification).toMatchObject({ state: 'delivered', attempts: 1 });
    expect((await client.getBatchStatus(batchId)).notification).toEqual(result.notification);
    expect(item!.headers['webhook-id']).not.toBe(batch!.headers['webhook-id']);
  });
});

describe('a notify URL the workers must not call is refused before anything starts', () => {
  /** A CLI run against the test server and fakes, with the secret but no private-network allowance. */
  const cliEnvironment = (context: IntegrationContext) =>
    childEnvironment({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      KLINGFLOW_STORAGE_DIR: context.storageDirectory,
      KLINGFLOW_NOTIFY_SECRET: SECRET,
      ...context.providers.environment,
    });
  // Each test has its own fakes and files: they run side by side.
  it.concurrent.each([
    ['a private address', 'http://10.1.2.3/hook', /notifyUrl: 10\.1\.2\.3 is a private/],
    ['loopback', 'http://localhost:9/hook', /notifyUrl: localhost is a private/],
    ['not http(s)', 'ftp://example.com/hook', /notifyUrl: only http\(s\) URLs/],
  ])('generate --notify-url with %s exits 2 naming notifyUrl', async (_name, url, message) => {
    const context = await createIntegrationContext({ providers: ['hyprlab'] });
    try {
      const environment = cliEnvironment(context);
      const run = await runKlingflow(
        ['generate', '--prompt', 'a lighthouse', '--notify-url', url, '--wait'],
        environment,
      );
      expect(run.code, run.output).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(context.providers.fakes.hyprlab!.requests).toHaveLength(0);
    } finally {
      await context.teardown();
    }
  });

  it.concurrent('a batch line’s notifyUrl, the batch’s --notify-url, and a missing secret exit 2 too', async () => {
    const context = await createIntegrationContext({ providers: ['hyprlab'] });
    const directory = await mkdtemp(join(tmpdir(), 'klingflow-notify-'));
    const privateLine = join(directory, 'private-line.jsonl');
    const plainLine = join(directory, 'plain-line.jsonl');
    try {
      const environment = cliEnvironment(context);
      await writeFile(
        privateLine,
        `${JSON.stringify({ prompt: 'a', model: 'kling-v1.6', notifyUrl: 'http://192.168.1.1/x' })}\n`,
      );
      await writeFile(plainLine, `${JSON.stringify({ prompt: 'a', model: 'kling-v1.6' })}\n`);
      const { KLINGFLOW_NOTIFY_SECRET: _secret, ...withoutSecret } = environment;
      // Three independent refusals: three CLI processes at once.
      const [line, flag, unsigned] = await Promise.all([
        runKlingflow(['batch', privateLine, '--wait'], environment),
        runKlingflow(
          ['batch', plainLine, '--notify-url', 'http://169.254.169.254/x', '--wait'],
          environment,
        ),
        runKlingflow(
          ['generate', '--prompt', 'a', '--notify-url', 'https://hooks.example.com/x', '--wait'],
          withoutSecret,
        ),
      ]);
      expect(line.code, line.output).toBe(2);
      expect(line.stderr).toMatch(/line 1: notifyUrl: 192\.168\.1\.1 is a private/);
      expect(flag.code, flag.output).toBe(2);
      expect(flag.stderr).toMatch(/notifyUrl: 169\.254\.169\.254 is a private/);
      expect(unsigned.code, unsigned.output).toBe(2);
      expect(unsigned.stderr).toMatch(/notifyUrl: needs KLINGFLOW_NOTIFY_SECRET/);
      expect(context.providers.fakes.hyprlab!.requests).toHaveLength(0);
    } finally {
      await context.teardown();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
