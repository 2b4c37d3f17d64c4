/**
 * Types shared by the workflow, the activities, the client and the CLI. Pure types and
 * constants only: this module is bundled into workflow code.
 */
import type { ProviderErrorKind } from '../errors.js';
import type { Price, TaskHandle, TaskLookup } from '../providers/provider.js';
import type { Mode, Model, ProviderId, UnifiedRequest } from '../request/unified-request.js';
import type { Notified, NotifyOptions } from './notification.js';

export type GenerationStatusName = 'running' | 'succeeded' | 'failed' | 'cancelled';
export type GenerationPhase =
  | 'planning'
  | 'submitting'
  | 'waiting'
  | 'downloading'
  | 'storing'
  | 'done';
/**
 * Route planning is reported as the start of `submitting` (nothing has reached a provider yet):
 * the public contract's phases are submitting, waiting, downloading, storing and done.
 */
export type ReportedPhase = Exclude<GenerationPhase, 'planning'>;
export function reportedPhase(phase: GenerationPhase): ReportedPhase {
  return phase === 'planning' ? 'submitting' : phase;
}
export type AttemptOutcome = 'running' | 'succeeded' | 'failed' | 'skipped';
/** Error kinds in attempt records: the provider kinds plus what the workflow itself decides. */
export type AttemptErrorKind =
  | ProviderErrorKind
  | 'ambiguous-submit'
  | 'over-budget'
  | 'download-failed';

/** `notifyUrl`: the job's status is POSTed there when it ends (notification.ts). */
export interface GenerateVideoInput extends NotifyOptions {
  request: UnifiedRequest;
  /** Failover order; default: every configured provider that can serve the request, cheapest first. */
  providers?: ProviderId[];
  /** Upper bound on the estimated cost in USD; providers above it are skipped. */
  maxCost?: number;
  /** Overrides the worker's poll interval (milliseconds). */
  pollIntervalMs?: number;
  /** Deadline for one provider attempt, from submit to finished (milliseconds). */
  attemptDeadlineMs?: number;
  /** Deadline for the whole job (milliseconds). */
  deadlineMs?: number;
  /** Batch this job belongs to, for the results manifest and search. */
  batchId?: string;
  /**
   * Opt-in: after a provider accepted a task, pay the next provider once that task has been
   * stuck this long (milliseconds). Absent: an accepted task pins the job to its provider.
   */
  failoverStuckAfterMs?: number;
}

/**
 * What became of one task a provider created (or may have created) for this job.
 * `rendering` only while the job still waits for it.
 */
export type SpendOutcome =
  | 'rendering'
  | 'delivered'
  | 'failed-at-provider'
  | 'abandoned'
  | 'ambiguous';

/** One entry of the spend ledger: every task a provider created, or may have created. */
export interface SpendTask {
  provider: ProviderId;
  /** The provider's task id; absent for an ambiguous submit whose task id was never seen. */
  taskId?: string;
  /** 1-based attempt within the job. */
  attempt: number;
  estimatedCost: Price;
  outcome: SpendOutcome;
  /**
   * What asking the provider to cancel this task achieved (a cancelled job, an abandoned stuck
   * task); absent when it was not asked (no cancel call, or the task had ended).
   */
  cancelAttempt?: CancelAttemptOutcome;
}

/** The provider's answer to a cancel, or `failed` when it could not be asked. */
export type CancelAttemptOutcome = 'cancelled' | 'already-finished' | 'not-found' | 'failed';

export interface CancelTaskOutput {
  outcome: Exclude<CancelAttemptOutcome, 'failed'>;
}

/** The job's spend ledger (`spend` in the JSON output); a batch sums its items'. */
export interface SpendSummary {
  /** Estimated USD of every task in the ledger (units converted by KLINGFLOW_PRICE_RATES). */
  usd: number;
  /** Totals per price unit, e.g. `{ "USD": 0.2, "credits": 35 }`. */
  byUnit: Partial<Record<string, number>>;
  tasks: SpendTask[];
}

export interface AttemptRecord {
  provider: ProviderId;
  outcome: AttemptOutcome;
  providerTaskId?: string;
  errorKind?: AttemptErrorKind;
  error?: string;
  estimatedCost?: Price;
}

export interface StoredVideoRecord {
  path: string;
  sha256: string;
  bytes: number;
  sourceUrl: string;
}

/** The contract's JSON output (`generate --wait --json`, `status --json`), plus progress extras. */
export interface GenerationStatus extends Notified {
  workflowId: string;
  status: GenerationStatusName;
  phase: GenerationPhase;
  provider?: ProviderId;
  providerTaskId?: string;
  model: Model;
  mode: Mode;
  videos: StoredVideoRecord[];
  attempts: AttemptRecord[];
  estimatedCost?: { amount: number; unit: string };
  error?: string;
  /** Every task a provider created (or may have created) for this job. */
  spend: SpendSummary;
  /** Provider status calls made so far for the current attempt. */
  polls: number;
  startedAt: string;
  elapsedMs: number;
  warnings: string[];
  /**
   * A step of a running job that failed and is being retried (the worker lost its storage, a
   * provider answers 500s or refuses a status call…): the workflow's own backoff between status
   * calls, or, added by the client, Temporal's pending activities. Absent once the job ends.
   */
  retrying?: RetryingStep;
  /**
   * No worker polls the job's task queue (or none answered): the job waits for one. The rest of
   * this status is what Temporal records (request, last published phase and provider); attempts
   * and spend are the worker's to report. Added by the client, never in a workflow's result.
   */
  waitingForWorker?: WaitingForWorker;
  /**
   * The job waits for one of the provider's slots (KLINGFLOW_PROVIDER_CONCURRENCY): nothing is
   * submitted yet. Set by the workflow while it waits; absent otherwise.
   */
  waitingForSlot?: { provider: ProviderId; limit: number };
  /**
   * A job whose state no worker could read back (terminated, its status query unanswered, or
   * running with no worker answering): `spend` is empty because it is unknown, not because
   * nothing was spent.
   */
  spendUnknown?: true;
}

/** Why a running job's (or batch's) worker did not answer its status query. */
export interface WaitingForWorker {
  taskQueue: string;
  /**
   * Workers poll the queue but none answered within Temporal's query timeout (overloaded,
   * stopping, or failing this workflow's tasks); false: no worker polls it at all.
   */
  workersPolling: boolean;
}

/** The activity a running job is retrying, and why its last attempt failed. */
export interface RetryingStep {
  /** The activity's type name (e.g. `downloadVideoToStorage`, `checkTask`). */
  activity: string;
  /** Attempts that failed so far. */
  failedAttempts: number;
  /** The last attempt's error message. */
  error: string;
  /** When the next attempt is due (ISO 8601); absent while one is running. */
  nextAttemptAt?: string;
}

/** One provider the planner found able to serve the request. */
export interface RouteEntry {
  provider: ProviderId;
  price: Price;
  warnings: string[];
  /** How long to wait before the first status call, from the model's typical render time. */
  initialWaitMs: number;
  /** The provider looks tasks up by our idempotency key (ambiguous submits can be resolved). */
  idempotentSubmit: boolean;
  /**
   * How an ambiguous submit is looked up (see TaskLookup): `adopt-only` adopts a task the
   * lookup finds and never re-sends. Absent in plans made before it: `idempotentSubmit` decides.
   */
  lookup?: TaskLookup;
  /** The provider has a cancel call: a cancelled job or an abandoned task is cancelled there. */
  cancellable?: boolean;
  /** Most tasks this provider may have in flight across all workers; unlimited when absent. */
  maxInFlight?: number;
}

export interface RoutePlan {
  route: RouteEntry[];
  skipped: {
    provider: ProviderId;
    reason: string;
    errorKind: AttemptErrorKind;
    /**
     * Skipped under a max cost because its price has no USD value to hold against it (base
     * units or credits without a KLINGFLOW_PRICE_RATES rate): not over the budget, unpriced.
     */
    unpriced?: true;
  }[];
  pollIntervalMs: number;
  /** Where a video is already stored under the job's id: nothing is planned (plan-route.ts). */
  taken?: string;
}

export interface SubmitInput {
  provider: ProviderId;
  request: UnifiedRequest;
  workflowId: string;
  /** 1-based attempt number within the job; with the workflow id it makes the idempotency key. */
  attempt: number;
  /**
   * The workflow run, so a new run of the same workflow id (a batch `--retry-failed`) gets a
   * fresh idempotency key. Absent in jobs started before it existed (their key stays the same).
   */
  runId?: string;
}

export interface SubmitOutput {
  taskId: string;
  handle: TaskHandle;
  /** The provider was given a callback URL for this task, so the job can wait for the callback. */
  callbackExpected?: boolean;
  /**
   * When the provider's answer accepting the task arrived (the submitting worker's clock, ms
   * since the epoch): the render runs from here, so the first status call is timed from it.
   * Absent for a task found by a lookup and in histories recorded before it.
   */
  acceptedAt?: number;
}

export interface FindTaskInput extends SubmitInput {}

/**
 * What a lookup by idempotency key proved. A lookup that could not answer fails the activity
 * instead (after its retries): the workflow reads that as "unknown" and never re-sends.
 */
export type FindTaskOutput = { outcome: 'found'; task: SubmitOutput } | { outcome: 'absent' };

export interface PollOutput {
  status:
    | { state: 'queued' | 'running'; detail?: string }
    | { state: 'succeeded'; videos: { url: string }[] }
    | { state: 'failed'; reason: string; kind: ProviderErrorKind };
  /** Status calls this activity made (retry attempts when polling by retry). */
  polls: number;
  /**
   * `job-v6`: the poll that found the task done also fetched, verified and stored its one video
   * (`PollDelivery`). Absent when it did not: the workflow's download activity then delivers.
   */
  stored?: StoredVideoRecord;
}

/**
 * `job-v6`: what a poll needs to deliver the video of a task it finds done, in the same
 * activity attempt: the storage key of a single video and the sidecar the job would write.
 */
export interface PollDelivery {
  key: string;
  sidecar: Record<string, unknown>;
}

/** ApplicationFailure types raised by the activities; the workflow branches on them. */
export const FailureTypes = {
  providerUnavailable: 'ProviderUnavailable',
  invalidRequest: 'InvalidRequest',
  contentRejected: 'ContentRejected',
  transient: 'ProviderTransient',
  ambiguousSubmit: 'AmbiguousSubmit',
  notReady: 'TaskNotReady',
  resultGone: 'ResultGone',
  generationFailed: 'GenerationFailed',
} as const;

/** The one table between provider error kinds and the failure types activities raise. */
export const FAILURE_TYPE_BY_KIND: Record<ProviderErrorKind, string> = {
  transient: FailureTypes.transient,
  'provider-unavailable': FailureTypes.providerUnavailable,
  'invalid-request': FailureTypes.invalidRequest,
  'content-rejected': FailureTypes.contentRejected,
};

/**
 * The provider error kind a failure type stands for; undefined for types that are not a
 * provider's own answer (ambiguous submits, timeouts, anything unknown).
 */
export function providerKindOfFailureType(type: string | undefined): ProviderErrorKind | undefined {
  for (const [kind, failureType] of Object.entries(FAILURE_TYPE_BY_KIND)) {
    if (failureType === type) return kind as ProviderErrorKind;
  }
  return undefined;
}

export const GENERATE_VIDEO_WORKFLOW = 'generateVideo';
