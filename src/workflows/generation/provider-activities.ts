import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { CheckTaskInput } from '../../activities/check-task.js';
import type { Activities } from '../../activities/index.js';
import {
  providerTaskQueue,
  SUBMIT_HEARTBEAT_TIMEOUT_MS,
  SUBMIT_START_TO_CLOSE_MS,
} from '../../contracts/task-queues.js';
import type { TaskHandle } from '../../providers/provider.js';
import type { ProviderId } from '../../request/unified-request.js';

/**
 * Provider calls run on the provider's own task queue (see provider-task-queue.ts).
 *
 * Submits get one attempt per activity: if a worker dies after the provider accepted the
 * request, the timed-out attempt is ambiguous and must not be re-sent by Temporal's retry. The
 * workflow re-sends only after failures that prove the provider did not take the request.
 */
export function providerActivities(provider: ProviderId) {
  const taskQueue = providerTaskQueue(workflowInfo().taskQueue, provider);
  const { submitTask } = proxyActivities<Activities>({
    taskQueue,
    // A little above the provider HTTP timeouts; also how long a dead worker holds a submit up.
    // The provider workers' shutdown grace is at least this, so a graceful stop never cuts one.
    startToCloseTimeout: SUBMIT_START_TO_CLOSE_MS,
    // A worker killed mid-submit is noticed in seconds: the submit heartbeats while it waits.
    heartbeatTimeout: SUBMIT_HEARTBEAT_TIMEOUT_MS,
    // Bounded even when no worker serves this provider's queue any more.
    scheduleToCloseTimeout: '15 minutes',
    retry: { maximumAttempts: 1 },
  });
  // A lookup is an idempotent GET: retried like one, bounded. Failing after that means "unknown".
  const { findTask } = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '5 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
  });
  // A status call is one short HTTP request: a worker that dies during one is noticed after
  // 30 s rather than a minute, and the call (idempotent) is simply made again.
  const { checkTask } = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '10 minutes',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
  });
  // Cancelling a task the job no longer wants: a short call, a few tries, then given up (the
  // ledger says `failed`) so a cancelled job is never held up for long.
  const { cancelTask } = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
  });
  /**
   * Polls by activity retry: one activity in history however many polls it takes. A delivering
   * poll (`job-v6`) also downloads the finished task's video: the download's time limit, and a
   * heartbeat timeout so a worker killed mid-download is noticed in seconds.
   */
  const pollUntilDone = (poll: PollUntilDone) =>
    proxyActivities<Activities>({
      taskQueue,
      ...(poll.delivery
        ? { startToCloseTimeout: '30 minutes', heartbeatTimeout: '10 seconds' }
        : { startToCloseTimeout: '30 seconds' }),
      scheduleToCloseTimeout: poll.remainingMs,
      retry: {
        initialInterval: poll.pollIntervalMs,
        backoffCoefficient: 1,
        maximumInterval: poll.pollIntervalMs,
      },
    }).checkTask({
      handle: poll.handle,
      untilDone: true,
      // Each only when set: the inputs of histories recorded before them stay as they were.
      ...(poll.renderTiming ? { renderTiming: poll.renderTiming } : {}),
      ...(poll.firstPollDelayMs > 0 ? { firstPollDelayMs: poll.firstPollDelayMs } : {}),
      ...(poll.delivery ? { delivery: poll.delivery } : {}),
    });
  return { submitTask, findTask, checkTask, cancelTask, pollUntilDone };
}

/** One poll by activity retry: its task, window and pace, and what it may do on the way. */
export interface PollUntilDone {
  handle: TaskHandle;
  /** The poll's schedule-to-close: until the job's deadline (or its stuck failover). */
  remainingMs: number;
  pollIntervalMs: number;
  renderTiming: CheckTaskInput['renderTiming'];
  /** The first poll's wait, taken as the first attempt's retry delay (`job-v4`); 0 for none. */
  firstPollDelayMs: number;
  delivery: CheckTaskInput['delivery'];
}
