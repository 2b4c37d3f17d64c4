import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  proxyLocalActivities,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import {
  type AttemptErrorKind,
  type AttemptRecord,
  FailureTypes,
  providerKindOfFailureType,
  type StoredVideoRecord,
} from '../../contracts/generation.js';
import { cancelWatchedTask } from './cancel.js';
import { type Job, setFinalStatus, snapshot } from './job.js';
import { notifyJobEnd } from './notify.js';

/** Result of one provider attempt, as the route loop sees it. */
export type AttemptResult =
  | {
      type: 'succeeded';
      videos: { url: string }[];
      /** The one video, already delivered by the poll that found the task done (`job-v6`). */
      stored?: StoredVideoRecord;
    }
  | { type: 'failed'; kind: AttemptErrorKind; message: string; failover: boolean };

export interface ClassifiedFailure {
  type: string;
  kind: AttemptErrorKind;
  message: string;
  timedOut: boolean;
  /**
   * The failure is the provider's own answer (its error envelope, or nothing was sent): the
   * only failures that prove a submit created nothing. Everything else is ambiguous.
   */
  providerAnswered: boolean;
}

/**
 * Activity failures → attempt error kinds, through the one failure-type table. Anything that is
 * not an activity failure is a bug in this workflow: rethrown, so it fails the workflow task
 * (and is retried after a fix) instead of being mistaken for a provider outage.
 */
export function classifyFailure(error: unknown): ClassifiedFailure {
  if (!(error instanceof ActivityFailure)) throw error;
  const cause = error.cause;
  if (cause instanceof TimeoutFailure) {
    return {
      type: 'Timeout',
      kind: 'provider-unavailable',
      message: 'timed out',
      timedOut: true,
      providerAnswered: false,
    };
  }
  const type = cause instanceof ApplicationFailure ? (cause.type ?? '') : 'Unknown';
  const providerKind = providerKindOfFailureType(type);
  const kind: AttemptErrorKind =
    type === FailureTypes.ambiguousSubmit
      ? 'ambiguous-submit'
      : providerKind === undefined || providerKind === 'transient'
        ? 'provider-unavailable'
        : providerKind;
  return {
    type,
    kind,
    message: failureMessage(error),
    timedOut: false,
    providerAnswered: providerKind !== undefined,
  };
}

export function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** invalid-request and content-rejected fail the job; an ambiguous submit too (never pay twice). */
export function failsOver(kind: AttemptErrorKind): boolean {
  return kind !== 'invalid-request' && kind !== 'content-rejected' && kind !== 'ambiguous-submit';
}

export function failedResult(kind: AttemptErrorKind, message: string): AttemptResult {
  return { type: 'failed', kind, message, failover: failsOver(kind) };
}

const { discardPartialDownloads } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

/**
 * Ends the job failed, with its status as the failure's details. Partial downloads go first: a
 * failed job will not resume them. The notification (if asked for) goes before the failure, so
 * its outcome is in those details.
 */
export async function failJob(job: Job, message: string): Promise<never> {
  if (job.version >= 2 && job.downloadKeys.length > 0) {
    await CancellationScope.nonCancellable(() =>
      discardPartialDownloads({ keys: job.downloadKeys }),
    );
  }
  job.status.error = message;
  setFinalStatus(job, 'failed');
  await notifyJobEnd(job);
  throw ApplicationFailure.create({
    type: FailureTypes.generationFailed,
    message,
    nonRetryable: true,
    details: [snapshot(job)],
  });
}

/**
 * A cancelled job stops the task it was waiting for at the provider (where it can), removes its
 * partial downloads and says so in its status.
 */
export async function cancelJob(job: Job): Promise<void> {
  job.status.error = 'cancelled';
  // Nothing runs on after a cancel: the attempt it interrupted ended with it (state only, no
  // command, so recorded histories replay as before).
  for (const attempt of job.status.attempts) {
    if (attempt.outcome !== 'running') continue;
    attempt.outcome = 'failed';
    attempt.error = 'cancelled';
  }
  setFinalStatus(job, 'cancelled');
  await CancellationScope.nonCancellable(async () => {
    await cancelWatchedTask(job);
    await discardPartialDownloads({ keys: job.downloadKeys });
  });
}

export function describeAttempts(attempts: AttemptRecord[]): string {
  return attempts
    .map((attempt) => `${attempt.provider}: ${attempt.error ?? attempt.outcome}`)
    .join('; ');
}
