import type { Connection } from '@temporalio/client';
import { describe, expect } from 'vitest';
import { KlingflowClient } from '../../src/client/klingflow-client.js';
import { createVideoStorage } from '../../src/storage/storage-factory.js';
import { itWithContext } from '../support/stack.js';
import { waitUntil } from '../support/wait-until.js';

const it = itWithContext({ providers: ['hyprlab'], renderMs: 2_000 });

describe('status of a running job', () => {
  it('names a step that keeps failing with its last error, but not a poll waiting on the render', async ({
    context,
  }) => {
    const client = new KlingflowClient({
      connection: context.client.connection as Connection,
      taskQueue: context.taskQueue,
      storage: createVideoStorage({ storageDirectory: context.storageDirectory }, {}),
    });
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
});
