import { ActivityFailure, ApplicationFailure, isCancellation, sleep } from '@temporalio/workflow';
import type {
  FindTaskOutput,
  RouteEntry,
  SubmitInput,
  SubmitOutput,
} from '../../contracts/generation.js';
import { FailureTypes } from '../../contracts/generation.js';
import {
  type AttemptResult,
  type ClassifiedFailure,
  classifyFailure,
  failedResult,
} from './failures.js';
import type { Job } from './job.js';
import { recordTask } from './ledger.js';
import { providerActivities } from './provider-activities.js';

export interface AcceptedTask {
  taskId: string;
  handle: SubmitOutput['handle'];
  callbackExpected: boolean;
  /** The submitting worker's clock when the provider accepted it (SubmitOutput.acceptedAt). */
  acceptedAt?: number;
}

export type SubmitResult =
  | { type: 'accepted'; task: AcceptedTask }
  | { type: 'failed'; result: AttemptResult };

type SendResult =
  | { type: 'accepted'; task: AcceptedTask }
  | { type: 'rejected'; failure: ClassifiedFailure }
  | { type: 'ambiguous'; message: string };

/** Lookup and re-send rounds after an ambiguous submit to an idempotent provider. */
const RECOVERY_ROUNDS = 2;

/**
 * Submits the request to one provider, applying the resend allow-list: only a failure the
 * provider itself answered proves nothing was created. Any other failure is ambiguous: an
 * idempotent provider is asked whether it holds the task (found → adopted, absent → re-sent
 * with the same key, unknown → given up); any other provider is never asked again.
 */
export async function submitToProvider(job: Job, entry: RouteEntry): Promise<SubmitResult> {
  const input: SubmitInput = {
    provider: entry.provider,
    request: job.input.request,
    workflowId: job.workflowId,
    attempt: job.attemptNumber,
    ...(job.version >= 2 ? { runId: job.runId } : {}),
  };
  let sent = await send(job, entry, input);
  const lookupMode = lookupModeOf(entry);
  if (sent.type === 'ambiguous' && lookupMode === 'adopt-only') {
    return adoptOrEnd(job, entry, input, sent.message);
  }
  for (let round = 0; sent.type === 'ambiguous' && lookupMode === 'idempotent'; round++) {
    if (round >= RECOVERY_ROUNDS) break;
    const lookup = await lookUp(input, job.version >= 2);
    if (lookup.outcome === 'unknown') {
      return ambiguous(
        job,
        entry,
        `${sent.message}; looking the task up failed (${lookup.message})`,
      );
    }
    if (lookup.outcome === 'found') return accepted(job, entry, lookup.task);
    sent = await send(job, entry, input);
  }
  if (sent.type === 'accepted') return accepted(job, entry, sent.task);
  if (sent.type === 'rejected') {
    return { type: 'failed', result: failedResult(sent.failure.kind, sent.failure.message) };
  }
  const reason = lookupMode
    ? sent.message
    : `${sent.message}; not re-sent because ${entry.provider} cannot look a task up by idempotency key`;
  return ambiguous(job, entry, reason);
}

/** Plans made before route entries carried the lookup mode say only `idempotentSubmit`. */
function lookupModeOf(entry: RouteEntry): RouteEntry['lookup'] {
  return entry.lookup ?? (entry.idempotentSubmit ? 'idempotent' : undefined);
}

/**
 * An ambiguous submit at a provider without an idempotency key whose task listing can prove a
 * task exists: found → adopted (it pins the job like any accepted task); absent or unknown →
 * the job ends `ambiguous-submit`, never re-sent (the listing may simply not show it yet).
 */
async function adoptOrEnd(
  job: Job,
  entry: RouteEntry,
  input: SubmitInput,
  message: string,
): Promise<SubmitResult> {
  const lookup = await lookUp(input, job.version >= 2);
  if (lookup.outcome === 'found') return accepted(job, entry, lookup.task);
  const why =
    lookup.outcome === 'unknown'
      ? `looking the task up failed (${lookup.message})`
      : `${entry.provider}'s task listing does not show it (yet)`;
  return ambiguous(job, entry, `${message}; ${why}; not re-sent`);
}

async function send(job: Job, entry: RouteEntry, input: SubmitInput): Promise<SendResult> {
  const { submitTask } = providerActivities(entry.provider);
  try {
    const submitted = await submitWithRetries(() => submitTask(input));
    return { type: 'accepted', task: acceptedTask(submitted) };
  } catch (error) {
    if (isCancellation(error)) {
      // Cancelled while the submit was in flight: the provider may still create the task.
      if (job.version >= 2) recordAmbiguous(job, entry);
      throw error;
    }
    const failure = classifyFailure(error);
    if (failure.providerAnswered) return { type: 'rejected', failure };
    return { type: 'ambiguous', message: failure.message };
  }
}

type Lookup = FindTaskOutput | { outcome: 'unknown'; message: string };

async function lookUp(input: SubmitInput, v2: boolean): Promise<Lookup> {
  const { findTask } = providerActivities(input.provider);
  let answer: FindTaskOutput | SubmitOutput | null;
  try {
    answer = (await findTask(input)) as FindTaskOutput | SubmitOutput | null;
  } catch (error) {
    if (isCancellation(error) || !v2) throw error;
    return { outcome: 'unknown', message: classifyFailure(error).message };
  }
  // Histories recorded before the found/absent answer carry the task itself, or null.
  if (answer === null) return { outcome: 'absent' };
  if ('outcome' in answer) return answer;
  return { outcome: 'found', task: answer };
}

function acceptedTask(submitted: SubmitOutput): AcceptedTask {
  return {
    taskId: submitted.taskId,
    handle: submitted.handle,
    callbackExpected: submitted.callbackExpected === true,
    ...(submitted.acceptedAt === undefined ? {} : { acceptedAt: submitted.acceptedAt }),
  };
}

function accepted(
  job: Job,
  entry: RouteEntry,
  submitted: SubmitOutput | AcceptedTask,
): SubmitResult {
  const task = acceptedTask(submitted);
  recordTask(job.status.spend, {
    provider: entry.provider,
    taskId: task.taskId,
    attempt: job.attemptNumber,
    estimatedCost: entry.price,
    outcome: 'rendering',
  });
  return { type: 'accepted', task };
}

function recordAmbiguous(job: Job, entry: RouteEntry): void {
  recordTask(job.status.spend, {
    provider: entry.provider,
    attempt: job.attemptNumber,
    estimatedCost: entry.price,
    outcome: 'ambiguous',
  });
}

/** The job ends here: the provider may hold a paid task, and paying another would be twice. */
function ambiguous(job: Job, entry: RouteEntry, message: string): SubmitResult {
  recordAmbiguous(job, entry);
  return {
    type: 'failed',
    result: failedResult(
      'ambiguous-submit',
      `${entry.provider} may hold a paid task for this job (check its dashboard): ${message}`,
    ),
  };
}

const SUBMIT_ATTEMPTS = 5;

/**
 * Re-sends a submit only after a transient error the provider answered with (or a connection
 * it refused): the request provably created nothing. Waits Retry-After when the provider sent
 * one, otherwise 2 s doubling up to a minute.
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
