import { CancellationScope, condition, isCancellation, patched, sleep } from '@temporalio/workflow';
import {
  FailureTypes,
  type PollDelivery,
  type PollOutput,
  type RouteEntry,
} from '../../contracts/generation.js';
import { cancelAtProvider } from './cancel.js';
import { pollDelivery } from './deliver.js';
import {
  type AttemptResult,
  type ClassifiedFailure,
  classifyFailure,
  failedResult,
} from './failures.js';
import { type Job, rememberDownloadKey, setPhase } from './job.js';
import { settleAttempt } from './ledger.js';
import { renderTimeKey } from './poll-policy.js';
import { providerActivities } from './provider-activities.js';
import type { AcceptedTask } from './submit.js';

/** One accepted task being watched until it finishes. */
export interface Watch {
  entry: RouteEntry;
  task: AcceptedTask;
  attempt: number;
  /** Before the money-safety rules: the attempt's own deadline, after which it failed over. */
  attemptDeadline: number;
  acceptedAt: number;
  /** Status-call failures in a row, for the backoff between them. */
  errors: number;
}

type Poll =
  | { type: 'status'; outcome: PollOutput }
  | { type: 'callback' }
  | { type: 'timeout' }
  | { type: 'limit' }
  | { type: 'error'; failure: ClassifiedFailure };

const MAX_ERROR_BACKOFF_MS = 60_000;

/**
 * Waits durably for an accepted task: sleeps through most of the render, then polls by
 * activity retry, woken early by a provider callback. The task pins the job: only the provider
 * reporting it failed moves on to another provider (or, when opted in, a task stuck too long).
 */
export async function waitForTask(job: Job, watch: Watch): Promise<AttemptResult> {
  try {
    return await watchTask(job, watch);
  } finally {
    // Only a wait under way is retrying: the attempt's outcome says the rest.
    job.status.retrying = undefined;
  }
}

async function watchTask(job: Job, watch: Watch): Promise<AttemptResult> {
  setPhase(job, 'waiting');
  const { entry, task, attempt } = watch;
  // With a callback on its way the job just waits for it; polling starts only if it is late
  // (twice the usual first wait), as a safety net for a lost callback.
  const firstWait = task.callbackExpected
    ? Math.max(2 * entry.initialWaitMs, job.pollIntervalMs)
    : entry.initialWaitMs;
  const initialWait = Math.min(firstWait, Math.max(0, watchLimit(job, watch) - Date.now()));
  // On job-v4 a polled task's first wait is the poll activity's first retry delay: no timer, and
  // one workflow task less per job. A callback still cuts it short (it cancels the poll).
  const waitInPoll = job.version >= 4 && !task.callbackExpected;
  let firstPollDelayMs = waitInPoll ? initialWait : 0;
  let callbackSeen = waitInPoll
    ? false
    : await condition(() => job.callbackForAttempt === attempt, initialWait);
  for (;;) {
    const remaining = watchLimit(job, watch) - Date.now();
    if (remaining <= 0) return await limitReached(job, watch);
    const poll = await pollOnce(job, watch, {
      callbackSeen,
      remainingMs: remaining,
      firstPollDelayMs,
    });
    firstPollDelayMs = 0;
    if (poll.type === 'callback') {
      callbackSeen = true;
      continue;
    }
    if (poll.type === 'limit') return await limitReached(job, watch);
    if (poll.type === 'timeout') {
      if (job.version < 2) return legacyDeadlineFailover();
      continue;
    }
    if (poll.type === 'error') {
      if (job.version < 2) return failedResult(poll.failure.kind, poll.failure.message);
      await backOff(job, watch, poll.failure);
      callbackSeen = false;
      continue;
    }
    job.status.retrying = undefined;
    job.status.polls += poll.outcome.polls;
    job.callbackForAttempt = 0;
    const finished = finishedResult(job, watch, poll.outcome);
    if (finished) return finished;
    callbackSeen = await pauseAfterStatusCall(job, watch);
  }
}

/**
 * Still running after a status call (a callback's confirmation, or a progress update): wait one
 * poll interval before the next call. Callbacks arriving meanwhile are remembered, not obeyed
 * at once, so however many arrive (or are replayed) they cost at most one call per interval.
 */
async function pauseAfterStatusCall(job: Job, watch: Watch): Promise<boolean> {
  const pause = Math.max(1, Math.min(job.pollIntervalMs, watchLimit(job, watch) - Date.now()));
  if (job.version < 2) return condition(() => job.callbackForAttempt === watch.attempt, pause);
  await sleep(pause);
  return job.callbackForAttempt === watch.attempt;
}

/** When the wait ends: the job deadline, or earlier the opt-in stuck failover. */
function watchLimit(job: Job, watch: Watch): number {
  if (job.version < 2) return watch.attemptDeadline;
  const stuckAfter = job.input.failoverStuckAfterMs;
  return stuckAfter === undefined
    ? job.jobDeadline
    : Math.min(job.jobDeadline, watch.acceptedAt + stuckAfter);
}

async function limitReached(job: Job, watch: Watch): Promise<AttemptResult> {
  if (job.version < 2) return legacyDeadlineFailover();
  const answered = await lastLook(job, watch);
  if (answered) return answered;
  const { entry, task } = watch;
  settleAttempt(job.status.spend, watch.attempt, 'abandoned');
  const stuckAfter = job.input.failoverStuckAfterMs;
  if (stuckAfter !== undefined && Date.now() < job.jobDeadline) {
    // The next provider is paid for this job: stop the stuck task where the provider can.
    await cancelAtProvider(job, { entry, handle: task.handle, attempt: watch.attempt });
    return {
      type: 'failed',
      kind: 'provider-unavailable',
      message: `${entry.provider} task ${task.taskId} still unfinished after ${stuckAfter} ms: abandoned (failoverStuckAfterMs), it may still be billed`,
      failover: true,
    };
  }
  return {
    type: 'failed',
    kind: 'provider-unavailable',
    message: `${entry.provider} task ${task.taskId} did not finish before the job deadline; not sent elsewhere (it may still finish and be billed)`,
    failover: false,
  };
}

/**
 * One status call before a task is given up: it may have finished while no worker ran (an
 * outage longer than the job deadline lets the poll time out unseen) or since the last poll. A
 * paid video found done is delivered instead of abandoned, or paid for again elsewhere; a task
 * the provider reports failed ends the attempt as such. Undefined when it is still unfinished or
 * cannot be asked. Asked only here (`last-look-at-limit`): recorded histories replay as they were.
 */
async function lastLook(job: Job, watch: Watch): Promise<AttemptResult | undefined> {
  if (!patched('last-look-at-limit')) return undefined;
  const { checkTask } = providerActivities(watch.task.handle.provider);
  let outcome: PollOutput;
  try {
    outcome = await checkTask({ handle: watch.task.handle, untilDone: false });
  } catch (error) {
    if (isCancellation(error)) throw error;
    return undefined;
  }
  job.status.polls += outcome.polls;
  return finishedResult(job, watch, outcome);
}

function legacyDeadlineFailover(): AttemptResult {
  return {
    type: 'failed',
    kind: 'provider-unavailable',
    message: 'attempt deadline passed while the task was still rendering',
    failover: true,
  };
}

function finishedResult(
  job: Job,
  watch: Watch,
  { status, stored }: PollOutput,
): AttemptResult | undefined {
  if (status.state === 'succeeded') {
    // A success without a video to fetch is not an answer: keep checking the same task.
    if (job.version >= 2 && status.videos.length === 0) return undefined;
    settleAttempt(job.status.spend, watch.attempt, 'delivered');
    return { type: 'succeeded', videos: status.videos, ...(stored ? { stored } : {}) };
  }
  if (status.state === 'failed') {
    // The provider itself says the task failed: the one case that frees the job to move on.
    settleAttempt(job.status.spend, watch.attempt, 'failed-at-provider');
    return failedResult(status.kind, status.reason);
  }
  watch.errors = 0;
  return undefined;
}

/**
 * After a failed status call: wait a poll interval, doubling per failure in a row. The job's
 * status says so meanwhile (a provider refusing status calls, a key rotated under a running
 * task): state only, no command, so recorded histories replay unchanged.
 */
async function backOff(job: Job, watch: Watch, failure: ClassifiedFailure): Promise<void> {
  watch.errors += 1;
  const delay = Math.min(
    MAX_ERROR_BACKOFF_MS,
    Math.max(job.pollIntervalMs, 1_000) * 2 ** (watch.errors - 1),
  );
  const pause = Math.max(1, Math.min(delay, watchLimit(job, watch) - Date.now()));
  job.status.retrying = {
    activity: 'checkTask',
    failedAttempts: watch.errors,
    error: failure.message,
    nextAttemptAt: new Date(Date.now() + pause).toISOString(),
  };
  await sleep(pause);
}

interface PollRound {
  callbackSeen: boolean;
  remainingMs: number;
  /** The first poll's wait, taken as the poll activity's first retry delay (job-v4). */
  firstPollDelayMs: number;
}

async function pollOnce(job: Job, watch: Watch, round: PollRound): Promise<Poll> {
  const { checkTask } = providerActivities(watch.task.handle.provider);
  // On job-v6 the poll that finds the task done delivers its video (deliver-in-poll.ts).
  const delivery =
    job.version >= 6 && !round.callbackSeen
      ? pollDelivery(job, watch.entry, watch.attempt)
      : undefined;
  try {
    const outcome = round.callbackSeen
      ? await checkTask({ handle: watch.task.handle, untilDone: false })
      : await pollUntilDoneOrCallback(job, watch, round, delivery);
    return { type: 'status', outcome };
  } catch (error) {
    // A poll cut short may have left a partial download: the job's end removes it.
    if (delivery) rememberDownloadKey(job, delivery.key);
    // Our own scope was cancelled by a provider callback: confirm with one status call.
    if (isCancellation(error) && !CancellationScope.current().consideredCancelled) {
      return { type: 'callback' };
    }
    if (isCancellation(error)) throw error;
    const failure = classifyFailure(error);
    // The server ends a poll whose next retry would pass its schedule-to-close with the last
    // "not ready": no poll fits before the limit any more (job-v4 takes it as reached).
    if (job.version >= 4 && failure.type === FailureTypes.notReady) return { type: 'limit' };
    return failure.timedOut ? { type: 'timeout' } : { type: 'error', failure };
  }
}

/** Polls by activity retry (few history events); a provider callback cancels it early. */
async function pollUntilDoneOrCallback(
  job: Job,
  watch: Watch,
  { remainingMs, firstPollDelayMs }: PollRound,
  delivery: PollDelivery | undefined,
): Promise<PollOutput> {
  const { handle } = watch.task;
  const scope = new CancellationScope();
  // The poll that finds the task done teaches the worker this render's length (poll-policy.ts);
  // not when a lost callback's safety net polls, which starts late on purpose. Only the
  // activity's input changes, not the commands: old histories replay unchanged. The render
  // runs from the provider's answer, not from this workflow task, which a busy worker or
  // server may start much later: the first poll and the learned times count from there.
  const renderTiming = watch.task.callbackExpected
    ? undefined
    : {
        key: renderTimeKey(handle.provider, job.input.request),
        acceptedAt: watch.task.acceptedAt ?? watch.acceptedAt,
        pollIntervalMs: job.pollIntervalMs,
      };
  const poll = scope.run(() =>
    providerActivities(handle.provider).pollUntilDone({
      handle,
      remainingMs,
      pollIntervalMs: job.pollIntervalMs,
      renderTiming,
      firstPollDelayMs,
      delivery,
    }),
  );
  let pollFinished = false;
  void condition(() => pollFinished || job.callbackForAttempt === watch.attempt).then(
    () => {
      if (!pollFinished) scope.cancel();
    },
    // The job itself was cancelled: the poll scope is cancelled with it, nothing to do here.
    () => {},
  );
  try {
    return await poll;
  } finally {
    pollFinished = true;
  }
}
