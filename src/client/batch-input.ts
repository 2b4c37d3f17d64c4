import {
  BATCH_ID_PATTERN,
  BATCH_ID_RULE,
  type BatchInput,
  type BatchItem,
  DEFAULT_BATCH_CONCURRENCY,
  MAX_BATCH_CONCURRENCY,
  MAX_BATCH_INPUT_BYTES,
  MAX_BATCH_ITEMS,
} from '../contracts/batch.js';
import type { ValidationIssue } from '../errors.js';
import { ValidationError } from '../errors.js';
import { notifyUrlIssues } from '../notify/notify-url.js';
import { parseFailoverStuckAfter } from './failover-stuck-after.js';
import { pollIntervalIssues } from './start-options.js';

export interface BatchOptions {
  /** Batch id (re-running the same id never starts a finished or running item again). */
  batchId?: string;
  /** Items in flight at once (default 5, at most 100). */
  concurrency?: number;
  /** Budget in USD for the batch's estimated spend. */
  maxCost?: number;
  /** Start again the items whose earlier job failed or was cancelled. */
  retryFailed?: boolean;
  /**
   * With `retryFailed`, also those whose earlier job holds a task its provider may have billed
   * without the video being delivered (an ambiguous submit, a failed download): this pays again.
   */
  retryPaid?: boolean;
  /** Stuck-failover opt-in for every item without its own (`20m`, or milliseconds). */
  failoverStuckAfter?: string | number;
  /** POST the batch's final status here once the whole batch has ended (Standard Webhooks signed). */
  notifyUrl?: string;
  /** First wait between notification attempts, for the batch's and its items' (milliseconds). */
  notifyRetryIntervalMs?: number;
  pollIntervalMs?: number;
  attemptDeadlineMs?: number;
  deadlineMs?: number;
  /** Continue-as-new at this many history events at the latest (tests lower it). */
  historyEventLimit?: number;
}

/**
 * The batch workflow's input from validated items and options. Checks the options and the size
 * ceiling (Temporal payloads are capped at 2 MB; see MAX_BATCH_ITEMS), so a batch that cannot
 * run is refused before anything starts.
 */
export function createBatchInput(
  items: readonly BatchItem[],
  options: BatchOptions = {},
): BatchInput {
  const issues: ValidationIssue[] = [];
  const batchId = options.batchId ?? newBatchId();
  if (!BATCH_ID_PATTERN.test(batchId)) {
    issues.push({
      field: 'batchId',
      message: `${JSON.stringify(batchId)} is not a valid batch id: use ${BATCH_ID_RULE}`,
    });
  }
  const concurrency = options.concurrency ?? DEFAULT_BATCH_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_BATCH_CONCURRENCY) {
    issues.push({
      field: 'concurrency',
      message: `must be a whole number from 1 to ${MAX_BATCH_CONCURRENCY}, got ${concurrency}`,
    });
  }
  if (
    options.maxCost !== undefined &&
    !(Number.isFinite(options.maxCost) && options.maxCost >= 0)
  ) {
    issues.push({
      field: 'maxCost',
      message: `must be a number of USD ≥ 0, got ${options.maxCost}`,
    });
  }
  let failoverStuckAfterMs: number | undefined;
  if (options.failoverStuckAfter !== undefined) {
    const parsed = parseFailoverStuckAfter(options.failoverStuckAfter, 'failoverStuckAfter');
    if ('issue' in parsed) issues.push(parsed.issue);
    else failoverStuckAfterMs = parsed.ms;
  }
  if (options.notifyUrl !== undefined) issues.push(...notifyUrlIssues(options.notifyUrl));
  if (options.retryPaid && !options.retryFailed) {
    issues.push({
      field: 'retryPaid',
      message: 'needs --retry-failed (retryFailed): it widens which failed items run again',
    });
  }
  if (options.pollIntervalMs !== undefined)
    issues.push(...pollIntervalIssues(options.pollIntervalMs));
  if (items.length > MAX_BATCH_ITEMS) {
    issues.push({
      field: 'items',
      message: `${items.length} requests is more than one batch can carry (${MAX_BATCH_ITEMS}): split the file into several batches`,
    });
  }
  const input: BatchInput = {
    batchId,
    items: [...items],
    concurrency,
    ...(options.maxCost !== undefined ? { maxCost: options.maxCost } : {}),
    ...(options.retryFailed ? { retryFailed: true } : {}),
    ...(options.retryPaid ? { retryPaid: true } : {}),
    ...(failoverStuckAfterMs !== undefined ? { failoverStuckAfterMs } : {}),
    ...(options.notifyUrl !== undefined ? { notifyUrl: options.notifyUrl } : {}),
    ...(options.notifyRetryIntervalMs !== undefined
      ? { notifyRetryIntervalMs: options.notifyRetryIntervalMs }
      : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.attemptDeadlineMs !== undefined
      ? { attemptDeadlineMs: options.attemptDeadlineMs }
      : {}),
    ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
    ...(options.historyEventLimit !== undefined
      ? { historyEventLimit: options.historyEventLimit }
      : {}),
  };
  const bytes = Buffer.byteLength(JSON.stringify(input));
  if (bytes > MAX_BATCH_INPUT_BYTES) {
    issues.push({
      field: 'items',
      message: `the requests take ${bytes} bytes, more than one batch can carry (${MAX_BATCH_INPUT_BYTES}): split the file into several batches`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return input;
}

/** A fresh batch id: time-ordered and short, safe as a file name and workflow id prefix. */
export function newBatchId(): string {
  return `b-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
