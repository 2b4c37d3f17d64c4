import {
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { BatchInput, BatchResult } from '../contracts/batch.js';
import { batchStatusQuery } from '../contracts/messages.js';
import { KLING_BATCH_ID } from '../contracts/search-attributes.js';
import { BatchRun } from './batch/batch-run.js';
import { runningBatchStatus } from './batch/batch-status-view.js';
import { cancelBatch, finishBatch } from './batch/finish.js';
import { launchItem } from './batch/run-item.js';
import { takeItem } from './batch/take-item.js';

/**
 * A batch of generations: one child `generateVideo` per item, with deterministic workflow ids
 * (batchItemWorkflowId), at most `concurrency` in flight, and an optional budget that failover
 * cannot exceed (batch-budget.ts: each item in flight reserves what its route may cost, and
 * settles to what its ledger says it spent). Re-running a batch id never starts an item's job
 * again while it runs or after it finished: the child start is refused (REJECT_DUPLICATE, or
 * ALLOW_DUPLICATE_FAILED_ONLY with `retryFailed`) and the earlier job's result is awaited and
 * reused instead.
 *
 * Before its history grows large it drains the children in flight (child handles cannot cross
 * continue-as-new, and REQUEST_CANCEL would cancel them when this run closes) and continues as
 * new with the compact results so far and the items not yet taken.
 *
 * The steps live in batch/: the run's state (batch-run.ts), taking an item (estimate and
 * reserve), running it, the status query, and finishing or cancelling.
 */
export async function batchGenerate(input: BatchInput): Promise<BatchResult> {
  const run = new BatchRun(input);
  setHandler(batchStatusQuery, () => runningBatchStatus(run));
  upsertSearchAttributes([{ key: KLING_BATCH_ID, value: input.batchId }]);
  try {
    await startItems(run);
    await condition(() => run.running.size === 0 || run.bug !== undefined);
    run.throwIfBug();
    if (run.cursor < run.items.length) {
      await continueAsNew<typeof batchGenerate>({
        ...input,
        items: run.items.slice(run.cursor),
        progress: { ...run.progress, results: run.finished() },
      });
    }
    return await finishBatch(run);
  } catch (error) {
    if (!isCancellation(error)) throw error;
    await cancelBatch(run);
    throw error;
  }
}

/**
 * Takes items in order while `concurrency` allows, until every item is taken, the budget
 * stopped the batch, or the history is long enough to continue as new.
 */
async function startItems(run: BatchRun): Promise<void> {
  const { items } = run;
  while (run.cursor < items.length) {
    if (run.progress.stoppedByBudget) {
      run.skipRest('over-budget');
      break;
    }
    await condition(() => run.running.size < run.concurrency || run.bug !== undefined);
    run.throwIfBug();
    if (run.cursor > 0 && run.historyIsLong()) break;
    const position = run.offset + run.cursor;
    const item = items[run.cursor++]!;
    const taken = await takeItem(run, item, position);
    if (taken) launchItem(run, item, position, taken);
  }
}
