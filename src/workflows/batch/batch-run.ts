import { patched, workflowInfo } from '@temporalio/workflow';
import {
  type BatchInput,
  type BatchItem,
  type BatchItemResult,
  type BatchProgress,
  type BatchSkipReason,
  batchItemWorkflowId,
  type CostEstimate,
  DEFAULT_BATCH_CONCURRENCY,
  DEFAULT_BATCH_HISTORY_EVENT_LIMIT,
  MAX_BATCH_CONCURRENCY,
  sumSpend,
} from '../../contracts/batch.js';
import type { NotificationRecord } from '../../contracts/notification.js';
import { BatchBudget } from '../batch-budget.js';

/** An item's identity in results and views: its key, line and job's workflow id. */
export type ItemIdentity = Pick<BatchItemResult, 'key' | 'line' | 'workflowId'>;

/**
 * Everything one run of a batch knows, passed to each step (take, run, finish, status) instead
 * of being shared through closures. Built once at the start of the run: it reads the carried
 * progress and asks its version patches where the workflow always asked them.
 */
export class BatchRun {
  readonly input: BatchInput;
  readonly workflowId: string;
  readonly progress: BatchProgress;
  /** Results by position in the whole batch; positions before `offset` finished in earlier runs. */
  readonly slots: (BatchItemResult | undefined)[];
  readonly offset: number;
  /** Items not yet taken at the start of this run. */
  readonly items: BatchItem[];
  readonly concurrency: number;
  readonly eventLimit: number;
  /** Positions of the items in flight. */
  readonly running = new Set<number>();
  /** Jobs started by an earlier run that this run is waiting on (cancelled with the batch). */
  readonly awaited = new Set<string>();
  /** Items taken from `items` in this run. */
  cursor = 0;
  /** A programming error in an item's task: rethrown by the loop so it fails the workflow task. */
  bug: { error: unknown } | undefined;
  /** Items ended in this run: an item waiting for budget waits for this to change. */
  settledCount = 0;
  /**
   * Started on `batch-v2` (it implies the reservations and completion notifications): items are
   * estimated in chunks. One patch, because each patch a new run asks is a billable update.
   */
  readonly v2: boolean;
  /** Budgets reserve for failover; false for batches started before, which keep their behaviour. */
  readonly reserving: boolean;
  /** Estimates of the items ahead (by index in `items`), filled a chunk at a time (`batch-v2`). */
  readonly estimates = new Map<number, CostEstimate>();
  readonly budget: BatchBudget | undefined;
  /** What became of the completion notification, once sent (batches given a notifyUrl). */
  notification: NotificationRecord | undefined;

  constructor(input: BatchInput) {
    const info = workflowInfo();
    const carried = input.progress;
    this.input = input;
    this.workflowId = info.workflowId;
    this.progress = {
      total: carried?.total ?? input.items.length,
      results: carried?.results ?? [],
      estimatedSpend: carried?.estimatedSpend ?? 0,
      stoppedByBudget: carried?.stoppedByBudget ?? false,
      runs: (carried?.runs ?? 0) + 1,
      startedAt: carried?.startedAt ?? info.startTime.toISOString(),
    };
    this.slots = [...this.progress.results];
    this.offset = this.slots.length;
    this.items = input.items;
    this.concurrency = Math.min(
      MAX_BATCH_CONCURRENCY,
      Math.max(1, Math.floor(input.concurrency || DEFAULT_BATCH_CONCURRENCY)),
    );
    this.eventLimit = input.historyEventLimit ?? DEFAULT_BATCH_HISTORY_EVENT_LIMIT;
    this.v2 = patched('batch-v2');
    this.reserving = this.v2 || patched('batch-budget-reservations');
    this.budget =
      this.reserving && input.maxCost !== undefined
        ? new BatchBudget(input.maxCost, sumSpend(this.progress.results).usd)
        : undefined;
  }

  /** Rethrows a programming error an item's task hit, so it fails the workflow task. */
  throwIfBug(): void {
    if (this.bug) throw this.bug.error;
  }

  historyIsLong(): boolean {
    const current = workflowInfo();
    return current.continueAsNewSuggested || current.historyLength >= this.eventLimit;
  }

  identity(item: BatchItem): ItemIdentity {
    return {
      key: item.key,
      ...(item.line !== undefined ? { line: item.line } : {}),
      workflowId: batchItemWorkflowId(this.input.batchId, item.key, this.input.itemIdScheme),
    };
  }

  /** Every item not taken yet is reported as skipped. */
  skipRest(reason: BatchSkipReason): void {
    for (; this.cursor < this.items.length; this.cursor++) {
      this.slots[this.offset + this.cursor] = {
        ...this.identity(this.items[this.cursor]!),
        status: 'skipped',
        reason,
      };
    }
  }

  /** The results so far; only called once nothing is in flight, so every slot is filled. */
  finished(): BatchItemResult[] {
    return this.slots.filter((slot): slot is BatchItemResult => slot !== undefined);
  }
}
