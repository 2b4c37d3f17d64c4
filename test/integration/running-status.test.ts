import type { Connection } from '@temporalio/client';
import { describe, expect } from 'vitest';
import { KlingflowClient } from '../../src/client/klingflow-client.js';
import { createVideoStorage } from '../../src/storage/storage-factory.js';
import { type IntegrationContext, itWithContext } from '../support/stack.js';
import { waitUntil } from '../support/wait-until.js';

const it = itWithContext({ providers: ['hyprlab', 'kling'], renderMs: 2_000 });

/** The client the CLI uses, on this test's task queue and storage. */
function klingflowClient(context: IntegrationContext): KlingflowClient {
  return new KlingflowClient({
    connection: context.client.connection as Connection,
    taskQueue: context.taskQueue,
    storage: createVideoStorage({ storageDirectory: context.storageDirectory }, {}),
  });
}

describe('status of a running job', () => {
  it('names a step that keeps failing with its last error, but not a poll waiting on the render', async ({
    context,
  }) => {
    const client = klingflowClient(context);
    const worker = await context.createWorker();
    await worker.runUntil(async () => {
      const { workflowId } = await client.startGeneration(
        { prompt: 'a heron on one leg', model: 'kling-v1.6' },
        { providers: ['hyprlab'] },
      );
      const handle = context.client.workflow.getHandle(workflowId);

      // Polls while the provider renders are failed attempts too ("not ready"): no trouble.
      await waitUntil('a few polls of the render', async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        return pending.some((activity) => (activity.attempt ?? 0) >= 3);
      });
      const rendering = await client.getStatus(workflowId);
      expect(rendering.status).toBe('running');
      expect(rendering.retrying).toBeUndefined();

      // The status call now fails (an outage at the provider): the job says so while it retries.
      context.providers.fakes.hyprlab.injectFault({
        route: 'status',
        fault: { type: 'status', status: 500 },
      });
      const troubled = await waitUntil('the failing status call to show', async () => {
        const status = await client.getStatus(workflowId);
        return status.retrying ? status : undefined;
      });
      expect(troubled.status).toBe('running');
      expect(troubled.retrying).toMatchObject({ activity: 'checkTask' });
      expect(troubled.retrying?.error).toMatch(/500/);
      expect(troubled.retrying?.failedAttempts).toBeGreaterThanOrEqual(1);
      // Elapsed time is the wall clock's, not that of the workflow's last activation.
      const startedAtMs = Date.parse(troubled.startedAt);
      expect(troubled.elapsedMs).toBeGreaterThanOrEqual(Date.now() - startedAtMs - 1_000);

      context.providers.fakes.hyprlab.clearFaults();
      const finished = await client.waitForResult(workflowId);
      expect(finished.status).toBe('succeeded');
      expect(finished.retrying).toBeUndefined();
      expect(context.providers.fakes.hyprlab.submissions).toBe(1);
    });
  });

  it('says a job and a batch wait for a worker when none polls their task queue, at once', async ({
    context,
  }) => {
    const client = klingflowClient(context);
    const { workflowId } = await client.startGeneration(
      { prompt: 'a kite over dunes', model: 'kling-v1.6' },
      { providers: ['hyprlab'] },
    );
    const batchId = `b-${workflowId}`;
    await client.startBatch(
      [
        { line: 1, request: { prompt: 'one', model: 'kling-v1.6' }, providers: ['hyprlab'] },
        { line: 2, request: { prompt: 'two', model: 'kling-v1.6' }, providers: ['hyprlab'] },
      ],
      { batchId },
    );

    // No worker yet: answered from Temporal's record, without waiting out a 30 s query.
    const asked = Date.now();
    const job = await client.getStatus(workflowId);
    const batch = await client.getBatchStatus(batchId);
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(job).toMatchObject({
      status: 'running',
      // Not yet planned: the contract's first phase (design.md lists no 'planning').
      phase: 'submitting',
      model: 'kling-v1.6',
      waitingForWorker: { taskQueue: context.taskQueue, workersPolling: false },
      // Nothing a worker reports is known yet: not "nothing spent".
      spendUnknown: true,
    });
    expect(batch).toMatchObject({
      state: 'running',
      total: 2,
      pending: 2,
      waitingForWorker: { taskQueue: context.taskQueue, workersPolling: false },
      spendUnknown: true,
    });

    const worker = await context.createWorker();
    await worker.runUntil(async () => {
      const finished = await client.waitForResult(workflowId);
      expect(finished.status).toBe('succeeded');
      expect(finished.waitingForWorker).toBeUndefined();
      expect(finished.spendUnknown).toBeUndefined();
      const batchResult = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(batchResult.succeeded).toBe(2);
    });
    expect(context.providers.fakes.hyprlab.submissions).toBe(3);
  });

  it('a terminated job no worker can read back says its spend is unknown, not nothing', async ({
    context,
  }) => {
    const client = klingflowClient(context);
    const { workflowId } = await client.startGeneration(
      { prompt: 'a lantern on water', model: 'kling-v1.6', mode: 'pro' },
      { providers: ['hyprlab'] },
    );
    await context.client.workflow.getHandle(workflowId).terminate('an operator stopped it');

    const status = await client.getStatus(workflowId);
    expect(status).toMatchObject({
      status: 'failed',
      model: 'kling-v1.6',
      mode: 'pro',
      spendUnknown: true,
    });
    expect(status.spend.tasks).toEqual([]);
  });

  it("says so while the provider refuses status calls (a rotated key), from the job's own backoff", async ({
    context,
  }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    const client = klingflowClient(context);
    const worker = await context.createWorker();
    await worker.runUntil(async () => {
      hyprlab.injectFault({ route: 'status', fault: { type: 'status', status: 401 } });
      const { workflowId } = await client.startGeneration(
        { prompt: 'a pier in fog', model: 'kling-v1.6' },
        { providers: ['hyprlab', 'kling'] },
      );
      const refused = await waitUntil('the refused status call to show', async () => {
        const status = await client.getStatus(workflowId);
        return status.retrying ? status : undefined;
      });
      expect(refused.retrying).toMatchObject({ activity: 'checkTask', failedAttempts: 1 });
      expect(refused.retrying?.error).toMatch(/401/);
      expect(Date.parse(refused.retrying?.nextAttemptAt ?? '')).toBeGreaterThan(0);

      // The key works again: the same task is delivered, and the status no longer says retrying.
      hyprlab.clearFaults();
      const finished = await client.waitForResult(workflowId);
      expect(finished.status).toBe('succeeded');
      expect(finished.provider).toBe('hyprlab');
      expect(finished.retrying).toBeUndefined();
      expect(hyprlab.submissions).toBe(1);
      expect(context.providers.fakes.kling.submissions).toBe(0);
    });
  });
});
