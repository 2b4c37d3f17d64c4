import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ProviderErrorKind } from '../errors.js';
import type { TaskHandle } from '../providers/provider.js';
import type { ProviderId } from '../request/unified-request.js';
import {
  providerCallbackSignal,
  releaseSlotSignal,
  slotGrantedSignal,
  statusQuery,
} from './definitions.js';
import {
  type AttemptErrorKind,
  type AttemptRecord,
  FailureTypes,
  type GenerateVideoInput,
  type GenerationStatus,
  type PollOutput,
  type RouteEntry,
} from './generation-types.js';
import { providerSlotsWorkflowId, providerTaskQueue } from './provider-task-queue.js';
import { KLING_MODEL, KLING_PHASE, KLING_PROVIDER } from './search-attributes.js';

const DEFAULT_ATTEMPT_DEADLINE_MS = 30 * 60_000;
const DEFAULT_JOB_DEADLINE_MS = 2 * 60 * 60_000;

const { planRoute, storeVideo, discardPartialDownloads, requestProviderSlot } =
  proxyLocalActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 5 },
  });

/**
 * Provider calls run on the provider's own task queue (see provider-task-queue.ts). A submit is
 * retried only on errors the activity marked retryable: ones where the provider provably did
 * not accept the request. Ambiguous submits are thrown as non-retryable.
 */
function providerActivities(provider: ProviderId) {
  const taskQueue = providerTaskQueue(workflowInfo().taskQueue, provider);
  // One attempt per activity: if a worker dies after the provider accepted the request, the
  // timed-out attempt is ambiguous and must not be re-sent by Temporal's retry. The workflow
  // retries submits itself, only after errors that prove the provider did not take the request.
  const { submitTask, findTask } = proxyActivities<Activities>({
    taskQueue,
    // A little above the provider HTTP timeouts; also how long a dead worker holds a submit up.
    startToCloseTimeout: '90 seconds',
    // Bounded even when no worker serves this provider's queue any more.
    scheduleToCloseTimeout: '15 minutes',
    retry: { maximumAttempts: 1 },
  });

  // A status call is one short HTTP request: a worker that dies during one is noticed after
  // 30 s rather than a minute, and the call (idempotent) is simply made again.
  const { checkTask } = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '10 minutes',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
  });
  /** Polls by activity retry: one activity in history however many polls it takes. */
  const pollUntilDone = (handle: TaskHandle, remainingMs: number, pollIntervalMs: number) =>
    proxyActivities<Activities>({
      taskQueue,
      startToCloseTimeout: '30 seconds',
      scheduleToCloseTimeout: remainingMs,
      retry: {
        initialInterval: pollIntervalMs,
        backoffCoefficient: 1,
        maximumInterval: pollIntervalMs,
      },
    }).checkTask({ handle, untilDone: true });
  return { submitTask, findTask, checkTask, pollUntilDone };
}

const { downloadVideo } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
  },
});

/** Result of one provider attempt, as the route loop sees it. */
type AttemptResult =
  | { type: 'succeeded'; videos: { url: string }[] }
  | { type: 'failed'; kind: AttemptErrorKind; message: string; failover: boolean };

/**
 * One video generation: plan a route of providers, then for each until one succeeds: submit,
 * wait durably (sleep through most of the render, then poll by activity retry, woken early by a
 * provider callback), and finally download, verify and store the video.
 */
export async function generateVideo(input: GenerateVideoInput): Promise<GenerationStatus> {
  const info = workflowInfo();
  const startedAtMs = info.startTime.getTime();
  const state: GenerationStatus = {
    workflowId: info.workflowId,
    status: 'running',
    phase: 'planning',
    model: input.request.model,
    mode: input.request.mode,
    videos: [],
    attempts: [],
    polls: 0,
    startedAt: info.startTime.toISOString(),
    elapsedMs: 0,
    warnings: [],
    spend: { usd: 0, byUnit: {}, tasks: [] },
  };
  /** Storage keys of downloads started, so a cancellation can remove their partial files. */
  const downloadKeys: string[] = [];
  let callbackForAttempt = 0;
  let currentAttempt = 0;
  let slotGrantedAttempt = 0;
  setHandler(statusQuery, () => ({ ...state, elapsedMs: Date.now() - startedAtMs }));
  setHandler(slotGrantedSignal, ({ attempt }) => {
    slotGrantedAttempt = attempt;
  });
  setHandler(providerCallbackSignal, ({ attempt }) => {
    if (attempt === currentAttempt) callbackForAttempt = attempt;
  });
  upsertSearchAttributes([{ key: KLING_MODEL, value: input.request.model }]);

  const jobDeadline = startedAtMs + (input.deadlineMs ?? DEFAULT_JOB_DEADLINE_MS);
  try {
    const plan = await planRoute({
      request: input.request,
      providers: input.providers,
      maxCost: input.maxCost,
    });
    for (const skipped of plan.skipped) {
      state.attempts.push({
        provider: skipped.provider,
        outcome: 'skipped',
        errorKind: skipped.errorKind,
        error: skipped.reason,
      });
    }
    if (plan.route.length === 0) {
      return fail(state, `no provider can serve this request: ${describeSkips(state.attempts)}`);
    }
    const pollIntervalMs = input.pollIntervalMs ?? plan.pollIntervalMs;

    for (const entry of plan.route) {
      if (Date.now() >= jobDeadline) {
        state.attempts.push({
          provider: entry.provider,
          outcome: 'skipped',
          errorKind: 'provider-unavailable',
          error: 'job deadline passed',
        });
        continue;
      }
      currentAttempt += 1;
      const attempt: AttemptRecord = {
        provider: entry.provider,
        outcome: 'running',
        estimatedCost: entry.price,
      };
      state.attempts.push(attempt);
      state.provider = entry.provider;
      state.providerTaskId = undefined;
      state.estimatedCost = { amount: entry.price.amount, unit: entry.price.unit };
      state.warnings = entry.warnings;
      state.polls = 0;
      upsertSearchAttributes([{ key: KLING_PROVIDER, value: entry.provider }]);

      const attemptDeadline = Math.min(
        jobDeadline,
        Date.now() + (input.attemptDeadlineMs ?? DEFAULT_ATTEMPT_DEADLINE_MS),
      );
      const result = await runAttempt(entry, currentAttempt, attemptDeadline, pollIntervalMs);
      if (result.type === 'failed') {
        attempt.outcome = 'failed';
        attempt.errorKind = result.kind;
        attempt.error = result.message;
        if (!result.failover) return fail(state, `${entry.provider}: ${result.message}`);
        continue;
      }

      state.phase = 'downloading';
      const key = storageKey(info.workflowId);
      for (const [index, video] of result.videos.entries()) {
        const videoKey = result.videos.length > 1 ? `${key}-${index + 1}` : key;
        downloadKeys.push(videoKey);
        let downloaded: Awaited<ReturnType<Activities['downloadVideo']>>;
        try {
          downloaded = await downloadVideo({ url: video.url, key: videoKey });
        } catch (error) {
          if (isCancellation(error)) throw error;
          attempt.outcome = 'failed';
          attempt.errorKind = 'download-failed';
          attempt.error = failureMessage(error);
          return fail(state, `download from ${entry.provider} failed: ${attempt.error}`);
        }
        state.phase = 'storing';
        const stored = await storeVideo({
          ...downloaded,
          key: videoKey,
          sidecar: {
            workflowId: info.workflowId,
            request: input.request,
            provider: entry.provider,
            providerTaskId: state.providerTaskId,
            estimatedCost: entry.price,
            attempts: state.attempts,
            batchId: input.batchId,
            startedAt: state.startedAt,
            finishedAt: new Date(Date.now()).toISOString(),
          },
        });
        state.videos.push(stored);
        state.phase = 'downloading';
      }
      attempt.outcome = 'succeeded';
      state.status = 'succeeded';
      state.phase = 'done';
      upsertSearchAttributes([{ key: KLING_PHASE, value: 'done' }]);
      return { ...state, elapsedMs: Date.now() - startedAtMs };
    }
    return fail(state, `every provider failed: ${describeSkips(state.attempts)}`);
  } catch (error) {
    if (isCancellation(error)) {
      state.status = 'cancelled';
      state.error = 'cancelled';
      await CancellationScope.nonCancellable(() => discardPartialDownloads({ keys: downloadKeys }));
      throw error;
    }
    throw error;
  }

  /** One provider attempt; holds one of the provider's in-flight slots while its task runs. */
  async function runAttempt(
    entry: RouteEntry,
    attemptNumber: number,
    attemptDeadline: number,
    pollIntervalMs: number,
  ): Promise<AttemptResult> {
    if (entry.maxInFlight === undefined)
      return submitAndWait(entry, attemptNumber, attemptDeadline, pollIntervalMs);
    state.phase = 'submitting';
    const slotKeeper = getExternalWorkflowHandle(
      providerSlotsWorkflowId(info.taskQueue, entry.provider),
    );
    try {
      await requestProviderSlot({
        provider: entry.provider,
        taskQueue: info.taskQueue,
        requester: info.workflowId,
        attempt: attemptNumber,
        limit: entry.maxInFlight,
        // Reclaimed by the keeper if this job dies without releasing it.
        leaseMs: attemptDeadline - Date.now() + 60_000,
      });
      const granted = await condition(
        () => slotGrantedAttempt === attemptNumber,
        Math.max(1, attemptDeadline - Date.now()),
      );
      if (!granted) {
        return {
          type: 'failed',
          kind: 'provider-unavailable',
          message: `no ${entry.provider} slot came free before the attempt deadline (limit ${entry.maxInFlight} in flight)`,
          failover: true,
        };
      }
      return await submitAndWait(entry, attemptNumber, attemptDeadline, pollIntervalMs);
    } finally {
      await CancellationScope.nonCancellable(() =>
        slotKeeper
          .signal(releaseSlotSignal, { requester: info.workflowId, attempt: attemptNumber })
          .catch(() => {}),
      );
    }
  }

  async function submitAndWait(
    entry: RouteEntry,
    attemptNumber: number,
    attemptDeadline: number,
    pollIntervalMs: number,
  ): Promise<AttemptResult> {
    state.phase = 'submitting';
    const { submitTask, findTask, checkTask } = providerActivities(entry.provider);
    const submitInput = {
      provider: entry.provider,
      request: input.request,
      workflowId: info.workflowId,
      attempt: attemptNumber,
    };
    let handle: TaskHandle;
    let callbackExpected = false;
    try {
      const submitted = await submitWithRetries(() => submitTask(submitInput));
      handle = submitted.handle;
      callbackExpected = submitted.callbackExpected === true;
      state.providerTaskId = submitted.taskId;
    } catch (error) {
      if (isCancellation(error)) throw error;
      const failure = classifyFailure(error);
      // A submit that timed out (its worker died, or the provider never answered) may have been
      // accepted: it is as ambiguous as a connection cut after sending.
      const ambiguous = failure.type === FailureTypes.ambiguousSubmit || failure.timedOut;
      if (!ambiguous) return submitFailure(failure);
      if (!entry.idempotentSubmit) {
        // The provider may have created (and will bill) the task; sending it again could pay twice.
        return {
          type: 'failed',
          kind: 'ambiguous-submit',
          message: `${failure.message}; not re-sent because ${entry.provider} cannot look a task up by idempotency key`,
          failover: false,
        };
      }
      // The official format dedupes on external_task_id: look the task up, and only if it does
      // not exist re-send with the same key (a duplicate would be refused, never billed twice).
      const found = await findTask(submitInput);
      if (found) {
        handle = found.handle;
        callbackExpected = found.callbackExpected === true;
        state.providerTaskId = found.taskId;
      } else {
        try {
          const submitted = await submitWithRetries(() => submitTask(submitInput));
          handle = submitted.handle;
          callbackExpected = submitted.callbackExpected === true;
          state.providerTaskId = submitted.taskId;
        } catch (retryError) {
          if (isCancellation(retryError)) throw retryError;
          const retryFailure = classifyFailure(retryError);
          if (retryFailure.type === FailureTypes.ambiguousSubmit || retryFailure.timedOut) {
            return {
              type: 'failed',
              kind: 'ambiguous-submit',
              message: retryFailure.message,
              failover: false,
            };
          }
          return submitFailure(retryFailure);
        }
      }
    }
    const attempt = state.attempts[state.attempts.length - 1];
    if (attempt) attempt.providerTaskId = state.providerTaskId;

    state.phase = 'waiting';
    // With a callback on its way the job just waits for it; polling starts only if it is late
    // (twice the usual first wait), as a safety net for a lost callback.
    const firstWait = callbackExpected
      ? Math.max(2 * entry.initialWaitMs, pollIntervalMs)
      : entry.initialWaitMs;
    const initialWait = Math.min(firstWait, Math.max(0, attemptDeadline - Date.now()));
    let callbackSeen = await condition(() => callbackForAttempt === attemptNumber, initialWait);
    for (;;) {
      const remaining = attemptDeadline - Date.now();
      if (remaining <= 0) {
        return {
          type: 'failed',
          kind: 'provider-unavailable',
          message: 'attempt deadline passed while the task was still rendering',
          failover: true,
        };
      }
      let outcome: PollOutput;
      try {
        outcome = callbackSeen
          ? await checkTask({ handle, untilDone: false })
          : await pollUntilDoneOrCallback(handle, attemptNumber, remaining, pollIntervalMs);
      } catch (error) {
        if (isCancellation(error) && !CancellationScope.current().consideredCancelled) {
          // Our own scope was cancelled by a provider callback: confirm with one status call.
          callbackSeen = true;
          continue;
        }
        if (isCancellation(error)) throw error;
        const failure = classifyFailure(error);
        if (failure.timedOut) {
          return {
            type: 'failed',
            kind: 'provider-unavailable',
            message: 'attempt deadline passed while the task was still rendering',
            failover: true,
          };
        }
        return submitFailure(failure);
      }
      state.polls += outcome.polls;
      callbackSeen = false;
      callbackForAttempt = 0;
      const status = outcome.status;
      if (status.state === 'succeeded') return { type: 'succeeded', videos: status.videos };
      if (status.state === 'failed') {
        return {
          type: 'failed',
          kind: status.kind,
          message: status.reason,
          failover: failsOver(status.kind),
        };
      }
      // Still running after a callback (a progress update, or a forged one): wait one poll
      // interval, woken early by the next callback, before polling resumes, so a progress
      // callback costs one status call rather than two.
      callbackSeen = await condition(
        () => callbackForAttempt === attemptNumber,
        Math.max(1, Math.min(pollIntervalMs, attemptDeadline - Date.now())),
      );
    }
  }

  /** Polls by activity retry (few history events); a provider callback cancels it early. */
  async function pollUntilDoneOrCallback(
    handle: TaskHandle,
    attemptNumber: number,
    remainingMs: number,
    pollIntervalMs: number,
  ): Promise<PollOutput> {
    const scope = new CancellationScope();
    const poll = scope.run(() =>
      providerActivities(handle.provider).pollUntilDone(handle, remainingMs, pollIntervalMs),
    );
    let pollFinished = false;
    void condition(() => pollFinished || callbackForAttempt === attemptNumber).then(
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
}

const SUBMIT_ATTEMPTS = 5;

/**
 * Retries a submit only after a transient error the provider answered with (or a connection it
 * refused): the request provably created nothing. Waits Retry-After when the provider sent one,
 * otherwise 2 s doubling up to a minute.
 */
async function submitWithRetries<T>(submit: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await submit();
    } catch (error) {
      const cause = error instanceof ActivityFailure ? error.cause : undefined;
      const retryable =
        cause instanceof ApplicationFailure &&
        cause.type === FailureTypes.transient &&
        !cause.nonRetryable;
      if (!retryable || attempt >= SUBMIT_ATTEMPTS) throw error;
      const retryAfterMs = (cause.details?.[0] as { retryAfterMs?: unknown } | undefined)
        ?.retryAfterMs;
      await sleep(
        typeof retryAfterMs === 'number'
          ? Math.max(1, retryAfterMs)
          : Math.min(60_000, 2_000 * 2 ** (attempt - 1)),
      );
    }
  }
}

function submitFailure(failure: ClassifiedFailure): AttemptResult {
  const kind = failure.kind;
  return { type: 'failed', kind, message: failure.message, failover: failsOver(kind) };
}

/** invalid-request and content-rejected fail the job; everything else tries the next provider. */
function failsOver(kind: AttemptErrorKind): boolean {
  return kind !== 'invalid-request' && kind !== 'content-rejected' && kind !== 'ambiguous-submit';
}

interface ClassifiedFailure {
  type: string;
  kind: AttemptErrorKind;
  message: string;
  timedOut: boolean;
}

const KIND_BY_TYPE: Record<string, ProviderErrorKind> = {
  [FailureTypes.providerUnavailable]: 'provider-unavailable',
  [FailureTypes.invalidRequest]: 'invalid-request',
  [FailureTypes.contentRejected]: 'content-rejected',
  [FailureTypes.transient]: 'provider-unavailable',
};

/**
 * Activity failures → attempt error kinds. Retryable errors that ran out of retries fail over.
 * Anything that is not an activity failure is a bug in this workflow: rethrown, so it fails the
 * workflow task (and is retried after a fix) instead of being mistaken for a provider outage.
 */
function classifyFailure(error: unknown): ClassifiedFailure {
  if (!(error instanceof ActivityFailure)) throw error;
  const cause = error.cause;
  if (cause instanceof TimeoutFailure) {
    return { type: 'Timeout', kind: 'provider-unavailable', message: 'timed out', timedOut: true };
  }
  if (cause instanceof ApplicationFailure) {
    const type = cause.type ?? '';
    const kind: AttemptErrorKind =
      type === FailureTypes.ambiguousSubmit
        ? 'ambiguous-submit'
        : (KIND_BY_TYPE[type] ?? 'provider-unavailable');
    return { type, kind, message: cause.message, timedOut: false };
  }
  return {
    type: 'Unknown',
    kind: 'provider-unavailable',
    message: failureMessage(error),
    timedOut: false,
  };
}

function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

function fail(state: GenerationStatus, message: string): never {
  state.status = 'failed';
  state.error = message;
  throw ApplicationFailure.create({
    type: FailureTypes.generationFailed,
    message,
    nonRetryable: true,
    details: [{ ...state }],
  });
}

function describeSkips(attempts: AttemptRecord[]): string {
  return attempts
    .map((attempt) => `${attempt.provider}: ${attempt.error ?? attempt.outcome}`)
    .join('; ');
}

/** Stored files are named after the workflow id; ids may hold characters a file name cannot. */
function storageKey(workflowId: string): string {
  return workflowId.replace(/[^A-Za-z0-9._-]/g, '_');
}
