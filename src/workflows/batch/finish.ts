import {
  ActivityFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { batchStatusFromResult } from '../../client/batch-status.js';
import {
  type BatchItemResult,
  type BatchResult,
  countResults,
  sumSpend,
  truncateError,
} from '../../contracts/batch.js';
import type { BatchRun } from './batch-run.js';
import { runningBatchStatus } from './batch-status-view.js';
import { notifyBatchEnd } from './notify.js';

const { writeBatchManifest } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 10 },
});

/** The last run's ending: the manifest of every item, the notification, the batch's result. */
export async function finishBatch(run: BatchRun): Promise<BatchResult> {
  const { input, progress } = run;
  const results = run.finished();
  const manifest = await writeManifest(run, results);
  const result: BatchResult = {
    batchId: input.batchId,
    workflowId: run.workflowId,
    total: progress.total,
    ...countResults(results),
    stoppedByBudget: progress.stoppedByBudget,
    estimatedSpend: progress.estimatedSpend,
    spend: sumSpend(results),
    ...(input.maxCost !== undefined ? { maxCost: input.maxCost } : {}),
    ...manifest,
    runs: progress.runs,
    startedAt: progress.startedAt,
    items: results,
  };
  await notifyBatchEnd(run, batchStatusFromResult(result));
  return run.notification ? { ...result, notification: run.notification } : result;
}

/**
 * A cancelled batch: children get the cancellation (and clean up their partial downloads); jobs
 * of an earlier run are cancelled too. The manifest still records what happened to each item,
 * and the notify URL (if any) is told.
 */
export async function cancelBatch(run: BatchRun): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    for (const workflowId of run.awaited) {
      await getExternalWorkflowHandle(workflowId)
        .cancel()
        .catch(() => {});
    }
    await condition(() => run.running.size === 0);
    run.skipRest('cancelled');
    await writeManifest(run, run.finished());
    await notifyBatchEnd(run, {
      ...runningBatchStatus(run),
      state: 'cancelled',
      error: 'cancelled',
    });
  });
}

/** The manifest is a report: failing to write it (after retries) does not fail the batch. */
async function writeManifest(
  run: BatchRun,
  results: BatchItemResult[],
): Promise<Pick<BatchResult, 'manifestPath' | 'manifestError'>> {
  try {
    const written = await writeBatchManifest({ batchId: run.input.batchId, items: results });
    return { manifestPath: written.path };
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    return { manifestError: truncateError(error.cause?.message ?? error.message) };
  }
}
