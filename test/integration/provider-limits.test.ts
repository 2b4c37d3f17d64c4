import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENERATE_VIDEO_WORKFLOW, type GenerationStatus } from '../../src/contracts/generation.js';
import { slotsQuery, statusQuery } from '../../src/contracts/messages.js';
import { providerSlotsWorkflowId } from '../../src/contracts/task-queues.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';
import { waitUntil } from '../support/wait-until.js';

describe('per-provider limits across workers', () => {
  let context: IntegrationContext;

  beforeEach(async () => {
    context = await createIntegrationContext({ providers: ['hyprlab'], renderMs: 800 });
  });

  afterEach(async () => {
    await context.teardown();
  });

  it('never lets a provider have more tasks in flight than its cap, with two workers sharing the jobs', async () => {
    const cap = { providerConcurrency: { hyprlab: 2 } };
    const workers = [await context.createWorker(cap), await context.createWorker(cap)];
    const request = parseUnifiedRequest({ prompt: 'a heron', model: 'kling-v1.6' });
    const handles = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
          taskQueue: context.taskQueue,
          workflowId: `capped-${index}-${Math.random().toString(36).slice(2)}`,
          args: [{ request, providers: ['hyprlab'] }],
        }),
      ),
    );
    const [first, second] = workers;
    const results: GenerationStatus[] = await first!.runUntil(() =>
      second!.runUntil(() => Promise.all(handles.map((handle) => handle.result()))),
    );

    expect(results.every((result) => result.status === 'succeeded')).toBe(true);
    const fake = context.providers.fakes.hyprlab;
    expect(fake.submissions).toBe(6);
    // A task is in flight at the provider from its creation until it has rendered.
    const intervals = [...fake.tasks.values()].map(
      (task) => [task.createdAt, task.createdAt + task.renderMs] as const,
    );
    const mostAtOnce = Math.max(
      ...intervals.map(
        ([start]) =>
          intervals.filter(([otherStart, otherEnd]) => otherStart <= start && start < otherEnd)
            .length,
      ),
    );
    expect(mostAtOnce).toBeLessThanOrEqual(2);
    // With a cap of 2 and 6 jobs, the work was really queued behind the cap, not run one by one.
    expect(mostAtOnce).toBe(2);
  });

  it('keeps the slots in a keeper workflow that hands every slot back when jobs end', async () => {
    const worker = await context.createWorker({ providerConcurrency: { hyprlab: 1 } });
    const request = parseUnifiedRequest({ prompt: 'a heron', model: 'kling-v1.6' });
    await worker.runUntil(async () => {
      const handle = await context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
        taskQueue: context.taskQueue,
        workflowId: `slot-${Math.random().toString(36).slice(2)}`,
        args: [{ request, providers: ['hyprlab'] }],
      });
      await handle.result();
      const keeper = context.client.workflow.getHandle(
        providerSlotsWorkflowId(context.taskQueue, 'hyprlab'),
      );
      let slots = await keeper.query(slotsQuery);
      for (let tries = 0; tries < 50 && slots.holders.length > 0; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        slots = await keeper.query(slotsQuery);
      }
      expect(slots).toEqual({ limit: 1, holders: [], waiting: [] });
      await keeper.terminate('test finished');
    });
  });

  it('a job waiting for a slot says so in its status, and not once it is done', async () => {
    const worker = await context.createWorker({ providerConcurrency: { hyprlab: 1 } });
    const request = parseUnifiedRequest({ prompt: 'a heron', model: 'kling-v1.6' });
    const start = (name: string) =>
      context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
        taskQueue: context.taskQueue,
        workflowId: `${name}-${Math.random().toString(36).slice(2)}`,
        args: [{ request, providers: ['hyprlab'] }],
      });
    await worker.runUntil(async () => {
      const holder = await start('holder');
      await waitUntil('the first job to hold the slot', async () => {
        const status = await holder.query(statusQuery);
        return status.phase === 'waiting';
      });
      const queued = await start('queued');
      const waiting = await waitUntil('the second job to wait for the slot', async () => {
        const status = await queued.query(statusQuery);
        return status.waitingForSlot ? status : undefined;
      });
      expect(waiting).toMatchObject({
        phase: 'submitting',
        waitingForSlot: { provider: 'hyprlab', limit: 1 },
      });
      expect(waiting.spend.tasks).toEqual([]);

      const results: GenerationStatus[] = await Promise.all([holder.result(), queued.result()]);
      for (const result of results) {
        expect(result.status).toBe('succeeded');
        expect(result.waitingForSlot).toBeUndefined();
      }
      await context.client.workflow
        .getHandle(providerSlotsWorkflowId(context.taskQueue, 'hyprlab'))
        .terminate('test finished');
    });
  });

  it('a new run of a job an operator terminated while it held the slot is not refused as its duplicate', async () => {
    const worker = await context.createWorker({ providerConcurrency: { hyprlab: 1 } });
    const request = parseUnifiedRequest({ prompt: 'a heron', model: 'kling-v1.6' });
    const workflowId = `rerun-${Math.random().toString(36).slice(2)}`;
    const start = () =>
      context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
        taskQueue: context.taskQueue,
        workflowId,
        args: [{ request, providers: ['hyprlab'], attemptDeadlineMs: 60_000 }],
      });
    await worker.runUntil(async () => {
      const first = await start();
      await waitUntil('the first run to hold the slot', async () => {
        return (await first.query(statusQuery)).phase === 'waiting';
      });
      // Terminated: no code runs, so the slot is never released (its lease is about 2 h).
      await first.terminate('operator');
      const second = await start();
      const result = (await second.result()) as GenerationStatus;
      expect(result.status).toBe('succeeded');
      await context.client.workflow
        .getHandle(providerSlotsWorkflowId(context.taskQueue, 'hyprlab'))
        .terminate('test finished');
    });
  });
});
