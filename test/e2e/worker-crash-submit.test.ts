import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENERATE_VIDEO_WORKFLOW, type GenerationStatus } from '../../src/contracts/generation.js';
import { SUBMIT_START_TO_CLOSE_MS } from '../../src/contracts/task-queues.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { type ProcessStack, startProcessStack } from '../support/process-stack.js';
import { startWorkerProcess } from '../support/processes.js';
import { waitUntil } from '../support/wait-until.js';

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
 * The worst moment for a crash: the provider has accepted the submit (and will bill it) but the
 * worker dies before the answer arrives. Temporal then sees only a timed-out submit. It must never
 * be re-sent blindly: the official API finds the task by external_task_id, and a provider without
 * an idempotency key ends the job with a clear ambiguous-submit error, having billed exactly once.
 */
describe('a worker killed after the provider accepted a submit, before it answered', () => {
  let stack: ProcessStack;
  let client: ProcessStack['client'];
  let providers: ProcessStack['providers'];
  let environment: NodeJS.ProcessEnv;
  let taskQueue: string;

  beforeEach(async () => {
    stack = await startProcessStack('crash-submit');
    ({ client, providers, environment, taskQueue } = stack);
  });

  afterEach(() => stack.stop());

  it('never creates a second task: kling recovers its task by external id, HyprLab fails clearly', async () => {
    providers.fakes.kling.injectFault({
      route: 'submit',
      times: 1,
      fault: { type: 'accept-then-hang' },
    });
    providers.fakes.hyprlab.injectFault({
      route: 'submit',
      times: 1,
      fault: { type: 'accept-then-hang' },
    });
    const first = await startWorkerProcess(environment);
    const request = parseUnifiedRequest({
      prompt: 'a crash at the worst moment',
      model: 'kling-v1.6',
    });
    const start = (provider: ProviderId) =>
      client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
        taskQueue,
        workflowId: `${taskQueue}-${provider}`,
        // The second provider is there to show that an ambiguous submit does not fail over either.
        args: [{ request, providers: [provider, provider === 'kling' ? 'hyprlab' : 'kling'] }],
      });
    const kling = await start('kling');
    const hyprlab = await start('hyprlab');
    await waitUntil(
      'both providers have accepted (and will bill) a task',
      () => providers.fakes.kling.submissions === 1 && providers.fakes.hyprlab.submissions === 1,
      { processes: [first] },
    );
    await first.kill('SIGKILL');
    const killedAt = Date.now();
    await startWorkerProcess(environment);

    const [klingStatus, hyprlabStatus] = await Promise.all([outcome(kling), outcome(hyprlab)]);
    // The dead worker's submits are noticed by their heartbeat timeout, long before their
    // start-to-close would have run out.
    expect(Date.now() - killedAt).toBeLessThan(SUBMIT_START_TO_CLOSE_MS);

    expect(klingStatus.status).toBe('succeeded');
    expect(klingStatus.provider).toBe('kling');
    expect(providers.fakes.kling.submissions).toBe(1);

    expect(hyprlabStatus.status).toBe('failed');
    expect(hyprlabStatus.attempts.map((attempt) => [attempt.provider, attempt.errorKind])).toEqual([
      ['hyprlab', 'ambiguous-submit'],
    ]);
    expect(providers.fakes.hyprlab.submissions).toBe(1);
  }, 240_000);
});
