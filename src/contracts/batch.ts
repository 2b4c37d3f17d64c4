/**
 * Types shared by the batch workflow, its activities, the client and the CLI. Pure types,
 * constants and pure functions only: this module is bundled into workflow code.
 */
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/common';
import type { ProviderId, UnifiedRequest } from '../request/unified-request.js';
import { FailureTypes, type GenerationStatus, type WaitingForWorker } from './generation.js';
import type { Notified, NotifyOptions } from './notification.js';

export const BATCH_GENERATE_WORKFLOW = 'batchGenerate';

/**
 * Batch ids and item ids become workflow ids (see batchItemWorkflowId) and, through them, storage keys
 * and file names, so they use the storage key alphabet: 1-64 characters of A-Z a-z 0-9 . _ -,
 * starting with a letter or digit, with no "..". Anything else would be refused by the storage
 * only after the provider was paid.
 */
export const BATCH_ID_PATTERN = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const BATCH_ID_RULE =
  '1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit, without ".."';
export const DEFAULT_BATCH_CONCURRENCY = 5;
export const MAX_BATCH_CONCURRENCY = 100;
/** The status query lists items one by one only for batches up to this size. */
export const BATCH_STATUS_ITEMS_LIMIT = 100;
/**
 * Ceiling on the batch workflow's input (items) and carried state. Temporal rejects payloads over
 * 2 MB; compact results take ~200–300 bytes per item, so 5,000 items with short prompts fit.
 * Larger batches must be split into several batch ids.
 */
export const MAX_BATCH_ITEMS = 5_000;
export const MAX_BATCH_INPUT_BYTES = 1_500_000;
/**
 * Continue-as-new happens when the server suggests it (`continueAsNewSuggested`: 4,096 events or
 * 4 MiB by default) or, as a backstop for servers configured otherwise, at this many events:
 * with a full drain of in-flight children on top (~5 events each) it stays below the
 * 10,240-event warning.
 */
export const DEFAULT_BATCH_HISTORY_EVENT_LIMIT = 8_000;
/** Error messages kept in a result are cut to this length, so the carried state stays small. */
export const MAX_ITEM_ERROR_LENGTH = 300;

/** The batch workflow's id for a batch id. Starting it again while it runs attaches to it. */
export function batchWorkflowId(batchId: string): string {
  return `batch-${batchId}`;
}

/**
 * How item workflow ids are made. `length-suffixed` (every new batch): `<batchId>-<key>-<length
 * of key>`, which is injective: the digits after the last `-` give the key's length, so the key
 * and the batch id are read back unambiguously, and no two (batch id, item id) pairs share a
 * workflow id. Absent: the first scheme, `<batchId>-<key>`, where `a-b`/`c` and `a`/`b-c`
 * collide; it is kept only for batches started with it, so their re-runs find their own items.
 */
export type BatchItemIdScheme = 'length-suffixed';
export const BATCH_ITEM_ID_SCHEME: BatchItemIdScheme = 'length-suffixed';

/** The deterministic workflow id of one item: re-running the batch finds its earlier job. */
export function batchItemWorkflowId(
  batchId: string,
  key: string,
  scheme: BatchItemIdScheme | undefined,
): string {
  return scheme === 'length-suffixed' ? `${batchId}-${key}-${key.length}` : `${batchId}-${key}`;
}

/** One validated item: the key is the line's `id`, or its 1-based line number; `notifyUrl` its job's. */
export interface BatchItem extends Pick<NotifyOptions, 'notifyUrl'> {
  key: string;
  /** Line in the batch file, for messages and the manifest. */
  line?: number;
  request: UnifiedRequest;
  providers?: ProviderId[];
  /** Stuck-failover opt-in for this item's job (milliseconds); overrides the batch's. */
  failoverStuckAfterMs?: number;
}

/** `notifyUrl`: the batch's status is POSTed there once the whole batch has ended. */
export interface BatchInput extends NotifyOptions {
  batchId: string;
  /** Items not yet taken; after continue-as-new, only the rest of the batch. */
  items: BatchItem[];
  /** Children in flight at once. */
  concurrency: number;
  /** Budget in USD for the whole batch's estimated spend. */
  maxCost?: number;
  /**
   * Re-run items whose earlier job failed or was cancelled (ALLOW_DUPLICATE_FAILED_ONLY). By
   * default an item whose job exists in any state is never started again.
   */
  retryFailed?: boolean;
  /**
   * With `retryFailed`, also re-run items whose earlier job holds a task its provider may have
   * billed without the video being delivered (an ambiguous submit, or a render whose download
   * failed): this pays again. Off by default.
   */
  retryPaid?: boolean;
  /** Stuck-failover opt-in for items without their own (milliseconds). */
  failoverStuckAfterMs?: number;
  /** Passed to every child generateVideo. */
  pollIntervalMs?: number;
  attemptDeadlineMs?: number;
  deadlineMs?: number;
  /** Continue-as-new at this many history events at the latest (tests may lower it). */
  historyEventLimit?: number;
  /** How item workflow ids are made (absent: the first scheme, for batches started with it). */
  itemIdScheme?: BatchItemIdScheme;
  /** Progress carried across continue-as-new; absent on the first run. */
  progress?: BatchProgress;
}

export interface BatchProgress {
  /** Items in the whole batch. */
  total: number;
  /** Results of the items taken so far, in batch order (every one finished: runs drain first). */
  results: BatchItemResult[];
  estimatedSpend: number;
  stoppedByBudget: boolean;
  /** Runs of the batch workflow so far (continue-as-new chain length). */
  runs: number;
  startedAt: string;
}

export type BatchItemStatus = 'succeeded' | 'failed' | 'skipped';
export type BatchSkipReason = 'over-budget' | 'cancelled';

/** One item's outcome, kept compact: it lives in workflow history and carried state. */
export interface BatchItemResult {
  key: string;
  line?: number;
  workflowId: string;
  status: BatchItemStatus;
  provider?: ProviderId;
  /** Paths of the stored videos. */
  videos?: string[];
  /** The USD estimate of the first provider of the item's route. */
  estimatedCost?: number;
  /**
   * What the item's job(s) spent by their ledgers (every task a provider created), including a
   * failed earlier job that `retryFailed` replaced. Absent when nothing was spent.
   */
  spend?: BatchSpend;
  /**
   * The job's ledger could not be read (it was cancelled, terminated or timed out before
   * reporting): `spend` is then what the batch had reserved for it, the most it could spend.
   */
  spendUnknown?: boolean;
  error?: string;
  errorKind?: string;
  /** Why a skipped item was not submitted. */
  reason?: BatchSkipReason;
  /** The job was started earlier (a previous run of this batch id): its result was reused. */
  existing?: boolean;
}

/** Spend totals of a batch or an item: the ledgers' USD, and totals per price unit. */
export interface BatchSpend {
  usd: number;
  byUnit: Partial<Record<string, number>>;
}

export type BatchItemView =
  | BatchItemResult
  | { key: string; line?: number; workflowId: string; status: 'running' | 'pending' };

/** The `batchStatus` query: counts always, items one by one only for small batches. */
export interface BatchStatus extends Notified {
  batchId: string;
  workflowId: string;
  state: 'running' | 'completed' | 'cancelled' | 'failed';
  total: number;
  succeeded: number;
  failed: number;
  running: number;
  pending: number;
  skipped: number;
  estimatedSpend: number;
  /** What the items' jobs have spent so far (finished items), summed from their ledgers. */
  spend: BatchSpend;
  /** USD reserved for the items in flight (each may spend up to its reservation). */
  reserved: number;
  maxCost?: number;
  stoppedByBudget: boolean;
  runs: number;
  startedAt: string;
  error?: string;
  items?: BatchItemView[];
  /**
   * No worker polls the batch's task queue (or none answered): the counts are the batch's input
   * alone, every item pending. Added by the client, never by the workflow.
   */
  waitingForWorker?: WaitingForWorker;
  /**
   * No worker could read the batch's state (none answered, or the batch closed and cannot be
   * read back): `spend` is empty because it is unknown, not because nothing was spent. Added by
   * the client, never by the workflow.
   */
  spendUnknown?: true;
}

/** What the batch returns (and `klingflow batch --json` prints). */
export interface BatchResult extends Notified {
  batchId: string;
  workflowId: string;
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  stoppedByBudget: boolean;
  estimatedSpend: number;
  /** What every item's jobs spent, summed from their ledgers (earlier runs' jobs included). */
  spend: BatchSpend;
  maxCost?: number;
  /** The JSONL results manifest in storage, one line per item. */
  manifestPath?: string;
  /** Why the manifest could not be written (the results above are complete regardless). */
  manifestError?: string;
  runs: number;
  startedAt: string;
  items: BatchItemResult[];
}

export interface EstimateCostInput {
  request: UnifiedRequest;
  providers?: ProviderId[];
  /** The batch's budget; providers priced above it (or without a USD price) are not considered. */
  maxCost?: number;
}

export interface CostEstimate {
  /** First provider of the route the job would take; absent when no provider can serve it. */
  provider?: ProviderId;
  /** Its estimated price in USD (absent for prices in credits with no USD rate). */
  usd?: number;
  /** Every provider of the route in order, with its USD price: what failover could pay. */
  route?: { provider: ProviderId; usd?: number }[];
  /** No provider fits in `maxCost`. */
  overBudget: boolean;
  /** Why no provider can serve the request, when none can. */
  reason?: string;
}

export interface WriteBatchManifestInput {
  batchId: string;
  items: BatchItemResult[];
}

/** An item's job as the batch reports it (the result's fields without key, line and cost). */
export type GenerationOutcome = Pick<
  BatchItemResult,
  'status' | 'provider' | 'videos' | 'error' | 'errorKind' | 'spend' | 'spendUnknown'
>;

/** A finished generation's status, reduced to what the batch keeps. */
export function generationOutcome(status: GenerationStatus): GenerationOutcome {
  const succeeded = status.status === 'succeeded';
  const failedAttempt = [...status.attempts]
    .reverse()
    .find((attempt) => attempt.outcome === 'failed' || attempt.outcome === 'skipped');
  const errorKind = status.status === 'cancelled' ? 'cancelled' : failedAttempt?.errorKind;
  const spend = spendOf(status);
  return {
    status: succeeded ? 'succeeded' : 'failed',
    ...(status.provider ? { provider: status.provider } : {}),
    ...(spend ? { spend } : {}),
    ...(succeeded ? { videos: status.videos.map((video) => video.path) } : {}),
    ...(!succeeded ? { error: truncateError(status.error ?? status.status) } : {}),
    ...(!succeeded && errorKind ? { errorKind } : {}),
  };
}

/**
 * A failed generation's outcome from the failure that ended it (the cause of a child workflow
 * failure, or of a WorkflowFailedError when the job was started by an earlier run).
 */
export function failureOutcome(cause: unknown): GenerationOutcome {
  if (cause instanceof ApplicationFailure && cause.type === FailureTypes.generationFailed) {
    const status = cause.details?.[0] as GenerationStatus | undefined;
    if (status) return { ...generationOutcome(status), status: 'failed' };
  }
  // No status came with these failures, so what the job spent is not known here.
  const unknown = { status: 'failed', spendUnknown: true } as const;
  if (cause instanceof CancelledFailure)
    return { ...unknown, error: 'cancelled', errorKind: 'cancelled' };
  if (cause instanceof TerminatedFailure)
    return { ...unknown, error: 'terminated', errorKind: 'terminated' };
  if (cause instanceof TimeoutFailure)
    return { ...unknown, error: 'the job timed out', errorKind: 'timed-out' };
  const message = cause instanceof Error ? cause.message : String(cause ?? 'failed');
  return { ...unknown, error: truncateError(message) };
}

/**
 * A job's spend from its ledger. Jobs that ran before the ledger existed have none: their
 * attempts that got a task id (or may have: an ambiguous submit) are counted at their estimate
 * instead. Undefined when nothing was spent.
 */
export function spendOf(status: GenerationStatus): BatchSpend | undefined {
  const ledger = status.spend as GenerationStatus['spend'] | undefined;
  const priced =
    ledger && ledger.tasks.length > 0
      ? ledger.tasks.map((task) => task.estimatedCost)
      : status.attempts
          .filter((attempt) => attempt.providerTaskId || attempt.errorKind === 'ambiguous-submit')
          .flatMap((attempt) => (attempt.estimatedCost ? [attempt.estimatedCost] : []));
  if (priced.length === 0) return undefined;
  const spend: BatchSpend = { usd: 0, byUnit: {} };
  for (const price of priced) {
    spend.usd = roundUsd(spend.usd + (price.usd ?? 0));
    spend.byUnit[price.unit] = roundUsd((spend.byUnit[price.unit] ?? 0) + price.amount);
  }
  if (ledger && ledger.tasks.length > 0) spend.usd = roundUsd(ledger.usd);
  return spend;
}

/** The sum of several spends (an item's jobs, a batch's items). */
export function addSpend(total: BatchSpend, more: BatchSpend | undefined): BatchSpend {
  if (!more) return total;
  const byUnit = { ...total.byUnit };
  for (const [unit, amount] of Object.entries(more.byUnit)) {
    byUnit[unit] = roundUsd((byUnit[unit] ?? 0) + (amount ?? 0));
  }
  return { usd: roundUsd(total.usd + more.usd), byUnit };
}

/** The spend of several items. */
export function sumSpend(items: readonly { spend?: BatchSpend }[]): BatchSpend {
  let total: BatchSpend = { usd: 0, byUnit: {} };
  for (const item of items) total = addSpend(total, item.spend);
  return total;
}

export function truncateError(message: string): string {
  return message.length > MAX_ITEM_ERROR_LENGTH
    ? `${message.slice(0, MAX_ITEM_ERROR_LENGTH - 1)}…`
    : message;
}

/** USD amounts are summed in micro-dollars so 0.2 + 0.4 compares equal to 0.6. */
export function roundUsd(amount: number): number {
  return Math.round(amount * 1_000_000) / 1_000_000;
}

export function countResults(items: readonly { status: string }[]): {
  succeeded: number;
  failed: number;
  skipped: number;
} {
  let succeeded = 0;
  let failed = 0;
  let skipped = 0;
  for (const item of items) {
    if (item.status === 'succeeded') succeeded++;
    else if (item.status === 'failed') failed++;
    else if (item.status === 'skipped') skipped++;
  }
  return { succeeded, failed, skipped };
}
