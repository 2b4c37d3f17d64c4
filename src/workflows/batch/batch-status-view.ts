import {
  BATCH_STATUS_ITEMS_LIMIT,
  type BatchItemView,
  type BatchStatus,
  countResults,
  sumSpend,
} from '../../contracts/batch.js';
import type { BatchRun } from './batch-run.js';

/** The batch's progress while it runs (its `status` query). */
export function runningBatchStatus(run: BatchRun): BatchStatus {
  const { input, progress, slots } = run;
  const counts = countResults(slots.filter((slot) => slot !== undefined));
  const done = counts.succeeded + counts.failed + counts.skipped;
  return {
    batchId: input.batchId,
    workflowId: run.workflowId,
    state: 'running',
    total: progress.total,
    ...counts,
    running: run.running.size,
    pending: progress.total - done - run.running.size,
    estimatedSpend: progress.estimatedSpend,
    spend: sumSpend(slots.filter((slot) => slot !== undefined)),
    reserved: run.budget?.reserved() ?? 0,
    ...(input.maxCost !== undefined ? { maxCost: input.maxCost } : {}),
    stoppedByBudget: progress.stoppedByBudget,
    runs: progress.runs,
    startedAt: progress.startedAt,
    ...(progress.total <= BATCH_STATUS_ITEMS_LIMIT ? { items: itemViews(run) } : {}),
    ...(run.notification ? { notification: run.notification } : {}),
  };
}

/** Every item in batch order: finished ones with their result, the rest running or pending. */
function itemViews(run: BatchRun): BatchItemView[] {
  const views: BatchItemView[] = [];
  for (let position = 0; position < run.progress.total; position++) {
    const result = run.slots[position];
    if (result) {
      views.push(result);
      continue;
    }
    const item = run.items[position - run.offset];
    if (!item) continue;
    views.push({
      ...run.identity(item),
      status: run.running.has(position) ? 'running' : 'pending',
    });
  }
  return views;
}
