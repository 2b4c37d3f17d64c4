import type { WorkflowExecutionDescription } from '@temporalio/client';
import { FailureTypes, type GenerationStatus, type RetryingStep } from '../contracts/generation.js';

type PendingActivity = NonNullable<
  WorkflowExecutionDescription['raw']['pendingActivities']
>[number];

/**
 * A running job's status as of now. The workflow's answer dates from its last activation (a
 * query sees workflow time), so its `elapsedMs` is recomputed here; and a step that keeps
 * failing (its retries are invisible in the workflow's state until they give up) is named with
 * its last error, so `status` says why a job sits in one phase.
 */
export function runningStatus(
  status: GenerationStatus,
  pendingActivities: readonly PendingActivity[],
  nowMs: number,
): GenerationStatus {
  const startedAtMs = Date.parse(status.startedAt);
  const elapsedMs = Number.isNaN(startedAtMs)
    ? status.elapsedMs
    : Math.max(status.elapsedMs, nowMs - startedAtMs);
  const retrying = retryingStep(pendingActivities);
  return { ...status, elapsedMs, ...(retrying ? { retrying } : {}) };
}

/** The first pending activity whose last attempt failed for a reason other than "not ready yet". */
export function retryingStep(
  pendingActivities: readonly PendingActivity[],
): RetryingStep | undefined {
  for (const activity of pendingActivities) {
    const failure = activity.lastFailure;
    // A poll retries by design while the provider renders: those attempts are not trouble.
    if (!failure || failure.applicationFailureInfo?.type === FailureTypes.notReady) continue;
    const next = activity.nextAttemptScheduleTime;
    const nextAttemptAt = next?.seconds
      ? new Date(Number(next.seconds) * 1000 + Math.floor((next.nanos ?? 0) / 1e6)).toISOString()
      : undefined;
    return {
      activity: activity.activityType?.name ?? 'activity',
      failedAttempts: Math.max(1, (activity.attempt ?? 1) - 1),
      error: failure.message || failureKind(failure),
      ...(nextAttemptAt ? { nextAttemptAt } : {}),
    };
  }
  return undefined;
}

function failureKind(failure: NonNullable<PendingActivity['lastFailure']>): string {
  if (failure.timeoutFailureInfo) return 'timed out';
  return 'failed';
}
