import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { AttemptRecord, RouteEntry } from '../../contracts/generation.js';
import { releaseSlotSignal } from '../../contracts/messages.js';
import { providerSlotsWorkflowId } from '../../contracts/task-queues.js';
import type { AttemptResult } from './failures.js';
import { type Job, setPhase } from './job.js';
import { submitToProvider } from './submit.js';
import { waitForTask } from './wait.js';

const DEFAULT_ATTEMPT_DEADLINE_MS = 30 * 60_000;

const { requestProviderSlot } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

/**
 * One provider attempt: submit, then wait for the task. Holds one of the provider's in-flight
 * slots meanwhile when the provider has a concurrency limit.
 */
export async function runAttempt(
  job: Job,
  entry: RouteEntry,
  record: AttemptRecord,
): Promise<AttemptResult> {
  const attemptDeadline = Math.min(
    job.jobDeadline,
    Date.now() + (job.input.attemptDeadlineMs ?? DEFAULT_ATTEMPT_DEADLINE_MS),
  );
  if (entry.maxInFlight === undefined) return submitAndWait(job, entry, record, attemptDeadline);
  // Waiting for a slot can take as long as a render: listed, so it shows in visibility.
  setPhase(job, 'submitting', { listed: true });
  const attempt = job.attemptNumber;
  const slotKeeper = getExternalWorkflowHandle(
    providerSlotsWorkflowId(job.taskQueue, entry.provider),
  );
  try {
    await requestProviderSlot({
      provider: entry.provider,
      taskQueue: job.taskQueue,
      requester: job.workflowId,
      attempt,
      limit: entry.maxInFlight,
      // Reclaimed by the keeper if this job dies without releasing it. A pinned task may be
      // watched until the job deadline.
      leaseMs: (job.version >= 2 ? job.jobDeadline : attemptDeadline) - Date.now() + 60_000,
    });
    // Says why a job sits in 'submitting' with nothing submitted yet (state only, no command).
    job.status.waitingForSlot = { provider: entry.provider, limit: entry.maxInFlight };
    const granted = await condition(
      () => job.slotGrantedAttempt === attempt,
      Math.max(1, attemptDeadline - Date.now()),
    ).finally(() => {
      job.status.waitingForSlot = undefined;
    });
    if (!granted) {
      return {
        type: 'failed',
        kind: 'provider-unavailable',
        message: `no ${entry.provider} slot came free before the attempt deadline (limit ${entry.maxInFlight} in flight)`,
        failover: true,
      };
    }
    return await submitAndWait(job, entry, record, attemptDeadline);
  } finally {
    await CancellationScope.nonCancellable(() =>
      slotKeeper.signal(releaseSlotSignal, { requester: job.workflowId, attempt }).catch(() => {}),
    );
  }
}

async function submitAndWait(
  job: Job,
  entry: RouteEntry,
  record: AttemptRecord,
  attemptDeadline: number,
): Promise<AttemptResult> {
  setPhase(job, 'submitting');
  const submitted = await submitToProvider(job, entry);
  if (submitted.type === 'failed') return submitted.result;
  const { task } = submitted;
  job.status.providerTaskId = task.taskId;
  record.providerTaskId = task.taskId;
  job.watched = { entry, handle: task.handle, attempt: job.attemptNumber };
  return waitForTask(job, {
    entry,
    task,
    attempt: job.attemptNumber,
    attemptDeadline,
    acceptedAt: Date.now(),
    errors: 0,
  });
}
