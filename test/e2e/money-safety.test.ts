import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { describe, expect } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { type IntegrationContext, itWithContext } from '../support/stack.js';

async function outcome(handle: WorkflowHandle): Promise<GenerationStatus> {
  try {
    return (await handle.result()) as GenerationStatus;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowFailedError);
    return ((error as WorkflowFailedError).cause as ApplicationFailure)
      .details?.[0] as GenerationStatus;
  }
}

/**
 * The production faults of issue 9, against a real worker and the real provider fakes, with
 * exact task counts from the fakes: what a provider created is what it would bill.
 */
/**
 * Each test gets a context of its own (fakes, task queue, worker), so the tests run
 * concurrently: most of their time is spent waiting on retries and polls.
 */
const it = itWithContext({ providers: ['hyprlab', 'kling'] });

describe.concurrent('never paying twice, under the faults production sees', () => {
  async function run(
    context: IntegrationContext,
    providers: ProviderId[],
    extra: Partial<GenerateVideoInput> = {},
  ) {
    const request = parseUnifiedRequest({ prompt: 'a lighthouse in a storm', model: 'kling-v1.6' });
    const worker = await context.createWorker();
    return worker.runUntil(async () =>
      outcome(
        await context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
          taskQueue: context.taskQueue,
          workflowId: `money-${Math.random().toString(36).slice(2)}`,
          args: [{ request, providers, ...extra } satisfies GenerateVideoInput],
        }),
      ),
    );
  }
  const attemptsOf = (status: GenerationStatus) =>
    status.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.errorKind]);

  it('a gateway 502 page after HyprLab accepted: one task, the job fails naming hyprlab', async ({
    context,
  }) => {
    context.providers.fakes.hyprlab.injectFault({
      route: 'submit',
      times: 1,
      fault: { type: 'accept-then-gateway-page' },
    });
    const status = await run(context, ['hyprlab', 'kling']);

    expect(status.status).toBe('failed');
    expect(attemptsOf(status)).toEqual([['hyprlab', 'failed', 'ambiguous-submit']]);
    expect(status.error).toMatch(/hyprlab may hold a paid task/);
    expect(status.spend.tasks).toEqual([
      expect.objectContaining({ provider: 'hyprlab', outcome: 'ambiguous' }),
    ]);
    expect(context.providers.fakes.hyprlab.submissions).toBe(1);
    expect(context.providers.fakes.kling.submissions).toBe(0);
  });

  it('a gateway 502 page after the official API accepted: the lookup finds the one task', async ({
    context,
  }) => {
    context.providers.fakes.kling.injectFault({
      route: 'submit',
      times: 1,
      fault: { type: 'accept-then-gateway-page' },
    });
    const status = await run(context, ['kling', 'hyprlab']);

    expect(status.status).toBe('succeeded');
    expect(context.providers.fakes.kling.submissions).toBe(1);
    expect(context.providers.fakes.kling.requestsFor('submit')).toHaveLength(1);
    expect(context.providers.fakes.hyprlab.submissions).toBe(0);
    expect(status.spend.tasks).toEqual([
      expect.objectContaining({ provider: 'kling', outcome: 'delivered' }),
    ]);
  });

  it('a lookup that fails and then answers still finds the task: one task', async ({ context }) => {
    context.providers.fakes.kling.injectFault({
      route: 'submit',
      times: 1,
      fault: { type: 'accept-then-cut' },
    });
    // The first status-route requests are the lookups by external_task_id.
    context.providers.fakes.kling.injectFault({
      route: 'status',
      times: 2,
      fault: { type: 'status', status: 500 },
    });
    const status = await run(context, ['kling', 'hyprlab']);

    expect(status.status).toBe('succeeded');
    expect(context.providers.fakes.kling.submissions).toBe(1);
    expect(context.providers.fakes.kling.requestsFor('submit')).toHaveLength(1);
    expect(context.providers.fakes.hyprlab.submissions).toBe(0);
  });

  it('a lookup that never answers is "unknown": no resend, no failover', async ({ context }) => {
    context.providers.fakes.kling.injectFault({
      route: 'submit',
      times: 1,
      fault: { type: 'accept-then-cut' },
    });
    context.providers.fakes.kling.injectFault({
      route: 'status',
      fault: { type: 'status', status: 500 },
    });
    const status = await run(context, ['kling', 'hyprlab']);

    expect(status.status).toBe('failed');
    expect(attemptsOf(status)).toEqual([['kling', 'failed', 'ambiguous-submit']]);
    expect(status.error).toMatch(/kling may hold a paid task.*looking the task up failed/);
    expect(context.providers.fakes.kling.submissions).toBe(1);
    expect(context.providers.fakes.kling.requestsFor('submit')).toHaveLength(1);
    expect(context.providers.fakes.hyprlab.submissions).toBe(0);
  }, 90_000);

  it.for([
    ['401', { type: 'status', status: 401, body: { error: 'unauthorized' } }],
    ['a bare 404', { type: 'status', status: 404, body: 'not found' }],
  ] as const)(
    '%s on status after accept keeps the job on its task: one task',
    async ([, fault], { context }) => {
      context.providers.fakes.hyprlab.injectFault({ route: 'status', times: 2, fault });
      const status = await run(context, ['hyprlab', 'kling']);

      expect(status.status).toBe('succeeded');
      expect(attemptsOf(status)).toEqual([['hyprlab', 'succeeded', undefined]]);
      expect(context.providers.fakes.hyprlab.submissions).toBe(1);
      expect(context.providers.fakes.kling.submissions).toBe(0);
    },
  );

  it('a refusal in Chinese fails the job instead of paying another provider to refuse it', async ({
    context,
  }) => {
    context.providers.fakes.kling.queueOutcome({ type: 'fail', message: '内容审核未通过' });
    const status = await run(context, ['kling', 'hyprlab']);

    expect(status.status).toBe('failed');
    expect(attemptsOf(status)).toEqual([['kling', 'failed', 'content-rejected']]);
    expect(status.spend.tasks).toEqual([
      expect.objectContaining({ provider: 'kling', outcome: 'failed-at-provider' }),
    ]);
    expect(context.providers.fakes.kling.submissions).toBe(1);
    expect(context.providers.fakes.hyprlab.submissions).toBe(0);
  });
});
