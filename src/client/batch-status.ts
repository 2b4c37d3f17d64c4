import {
  BATCH_STATUS_ITEMS_LIMIT,
  type BatchResult,
  type BatchStatus,
  sumSpend,
} from '../contracts/batch.js';

/**
 * A finished batch's result as a status (items listed only for small batches, as the query does).
 * Pure: the batch workflow sends it as its completion notification.
 */
export function batchStatusFromResult(result: BatchResult): BatchStatus {
  return {
    batchId: result.batchId,
    workflowId: result.workflowId,
    state: 'completed',
    total: result.total,
    succeeded: result.succeeded,
    failed: result.failed,
    running: 0,
    pending: 0,
    skipped: result.skipped,
    estimatedSpend: result.estimatedSpend,
    // Batches finished before spend was reported carry none: sum their items.
    spend: result.spend ?? sumSpend(result.items),
    reserved: 0,
    ...(result.maxCost !== undefined ? { maxCost: result.maxCost } : {}),
    stoppedByBudget: result.stoppedByBudget,
    runs: result.runs,
    startedAt: result.startedAt,
    ...(result.total <= BATCH_STATUS_ITEMS_LIMIT ? { items: result.items } : {}),
    ...(result.notification ? { notification: result.notification } : {}),
  };
}

/** What is known of a closed batch whose status can no longer be read (no worker answered). */
export function minimalBatchStatus(
  known: Pick<BatchStatus, 'batchId' | 'workflowId' | 'state' | 'startedAt' | 'error'>,
): BatchStatus {
  return {
    ...known,
    total: 0,
    succeeded: 0,
    failed: 0,
    running: 0,
    pending: 0,
    skipped: 0,
    estimatedSpend: 0,
    spend: { usd: 0, byUnit: {} },
    reserved: 0,
    stoppedByBudget: false,
    runs: 1,
  };
}
