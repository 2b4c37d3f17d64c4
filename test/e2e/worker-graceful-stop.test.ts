import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENERATE_VIDEO_WORKFLOW, type GenerationStatus } from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { type ProcessStack, startProcessStack } from '../support/process-stack.js';
import { describeExit, startWorkerProcess } from '../support/processes.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * A deploy or `docker compose restart` stops the worker with SIGTERM. A submit in flight at
 * that moment must finish and be recorded: aborted, the provider keeps (and bills) a task the
 * job never hears of, and before the fix the job failed over and paid a second provider.
 */
describe('a worker stopped gracefully during a slow submit', () => {
  let stack: ProcessStack;
  let client: ProcessStack['client'];
  let providers: ProcessStack['providers'];
  let environment: NodeJS.ProcessEnv;
  let taskQueue: string;

  beforeEach(async () => {
    stack = await startProcessStack('graceful-stop');
    ({ client, providers, environment, taskQueue } = stack);
  });

  afterEach(() => stack.stop());

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
