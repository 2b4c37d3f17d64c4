import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ActivityFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  BATCH_STATUS_ITEMS_LIMIT,
  type BatchInput,
  type BatchItem,
  type BatchItemResult,
  type BatchItemView,
  type BatchProgress,
  type BatchResult,
  type BatchSkipReason,
  type BatchStatus,
  batchItemWorkflowId,
  countResults,
  DEFAULT_BATCH_CONCURRENCY,
  DEFAULT_BATCH_HISTORY_EVENT_LIMIT,
  failureOutcome,
  type GenerationOutcome,
  generationOutcome,
  MAX_BATCH_CONCURRENCY,
  roundUsd,
  truncateError,
} from './batch-types.js';
import { batchStatusQuery } from './definitions.js';
import type { generateVideo } from './generate-video.js';
import { GENERATE_VIDEO_WORKFLOW, type GenerateVideoInput } from './generation-types.js';
import { KLING_BATCH_ID } from './search-attributes.js';

const { estimateCost } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

const { writeBatchManifest } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 10 },
});

/** Waits for a job an earlier run started; as long as a job may take, heartbeating meanwhile. */
const { awaitExistingGeneration } = proxyActivities<Activities>({
  startToCloseTimeout: '3 hours',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
  },
});

/**
 * A batch of generations: one child `generateVideo` per item, with deterministic workflow ids
 * (`<batchId>-<key>`), at most `concurrency` in flight, and an optional budget on the estimated
 * spend. Re-running a batch id never starts an item's job again while it runs or after it
 * finished: the child start is refused (REJECT_DUPLICATE, or ALLOW_DUPLICATE_FAILED_ONLY with
 * `retryFailed`) and the earlier job's result is awaited and reused instead.
 *
 * Before its history grows large it drains the children in flight (child handles cannot cross
 * continue-as-new, and REQUEST_CANCEL would cancel them when this run closes) and continues as
 * new with the compact results so far and the items not yet taken.
 */
export async function batchGenerate(input: BatchInput): Promise<BatchResult> {
  const info = workflowInfo();
  const carried = input.progress;
  const progress: BatchProgress = {
    total: carried?.total ?? input.items.length,
    results: carried?.results ?? [],
    estimatedSpend: carried?.estimatedSpend ?? 0,
    stoppedByBudget: carried?.stoppedByBudget ?? false,
    runs: (carried?.runs ?? 0) + 1,
    startedAt: carried?.startedAt ?? info.startTime.toISOString(),
  };
  /** Results by position in the whole batch; positions before `offset` finished in earlier runs. */
  const slots: (BatchItemResult | undefined)[] = [...progress.results];
  const offset = slots.length;
  const items = input.items;
  const concurrency = Math.min(
    MAX_BATCH_CONCURRENCY,
    Math.max(1, Math.floor(input.concurrency || DEFAULT_BATCH_CONCURRENCY)),
  );
  const eventLimit = input.historyEventLimit ?? DEFAULT_BATCH_HISTORY_EVENT_LIMIT;
  /** Positions of the items in flight. */
  const running = new Set<number>();
  /** Jobs started by an earlier run that this run is waiting on (cancelled with the batch). */
  const awaited = new Set<string>();
  /** Items taken from `items` in this run. */
  let cursor = 0;
  /** A programming error in an item's task: rethrown here so it fails the workflow task. */
  let bug: { error: unknown } | undefined;

  setHandler(batchStatusQuery, () => status());
  upsertSearchAttributes([{ key: KLING_BATCH_ID, value: input.batchId }]);

  try {
    while (cursor < items.length) {
      if (progress.stoppedByBudget) {
        skipRest('over-budget');
        break;
      }
      await condition(() => running.size < concurrency || bug !== undefined);
      if (bug) throw bug.error;
      if (cursor > 0 && historyIsLong()) break;
      const position = offset + cursor;
      const item = items[cursor++]!;
      const remaining =
        input.maxCost === undefined
          ? undefined
          : Math.max(0, roundUsd(input.maxCost - progress.estimatedSpend));
      const estimate = await estimateCost({
        request: item.request,
        ...(item.providers ? { providers: item.providers } : {}),
        ...(remaining !== undefined ? { maxCost: remaining } : {}),
      });
      if (!estimate.provider) {
        if (estimate.overBudget) {
          // The next item would push the estimated spend past the budget: stop submitting.
          progress.stoppedByBudget = true;
          slots[position] = skipped(item, 'over-budget');
        } else {
          slots[position] = {
            ...identity(item),
            status: 'failed',
            error: truncateError(`no provider can serve this request: ${estimate.reason ?? ''}`),
            errorKind: 'no-provider',
          };
        }
        continue;
      }
      if (estimate.usd !== undefined) {
        progress.estimatedSpend = roundUsd(progress.estimatedSpend + estimate.usd);
      }
      running.add(position);
      void runItem(item, estimate.usd, remaining).then(
        (result) => {
          slots[position] = result;
          running.delete(position);
        },
        (error: unknown) => {
          bug ??= { error };
          running.delete(position);
        },
      );
    }
    await condition(() => running.size === 0 || bug !== undefined);
    if (bug) throw bug.error;
    if (cursor < items.length) {
      await continueAsNew<typeof batchGenerate>({
        ...input,
        items: items.slice(cursor),
        progress: { ...progress, results: finished() },
      });
    }
    const results = finished();
    const manifest = await writeManifest(results);
    return {
      batchId: input.batchId,
      workflowId: info.workflowId,
      total: progress.total,
      ...countResults(results),
      stoppedByBudget: progress.stoppedByBudget,
      estimatedSpend: progress.estimatedSpend,
      ...(input.maxCost !== undefined ? { maxCost: input.maxCost } : {}),
      ...manifest,
      runs: progress.runs,
      startedAt: progress.startedAt,
      items: results,
    };
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Cancelled: children get the cancellation (and clean up their partial downloads); jobs of
    // an earlier run are cancelled too. The manifest still records what happened to each item.
    await CancellationScope.nonCancellable(async () => {
      for (const workflowId of awaited) {
        await getExternalWorkflowHandle(workflowId)
          .cancel()
          .catch(() => {});
      }
      await condition(() => running.size === 0);
      skipRest('cancelled');
      await writeManifest(finished());
    });
    throw error;
  }

  /** Starts the item's job, or reuses the one an earlier run started, and reports its outcome. */
  async function runItem(
    item: BatchItem,
    estimatedCost: number | undefined,
    remainingBudget: number | undefined,
  ): Promise<BatchItemResult> {
    const base = {
      ...identity(item),
      ...(estimatedCost !== undefined ? { estimatedCost } : {}),
    };
    const stuckAfterMs = item.failoverStuckAfterMs ?? input.failoverStuckAfterMs;
    const childInput: GenerateVideoInput = {
      request: item.request,
      ...(item.providers ? { providers: item.providers } : {}),
      // The job may not spend more than what was left of the budget when it started.
      ...(remainingBudget !== undefined ? { maxCost: remainingBudget } : {}),
      ...(input.pollIntervalMs !== undefined ? { pollIntervalMs: input.pollIntervalMs } : {}),
      ...(input.attemptDeadlineMs !== undefined
        ? { attemptDeadlineMs: input.attemptDeadlineMs }
        : {}),
      ...(input.deadlineMs !== undefined ? { deadlineMs: input.deadlineMs } : {}),
      ...(stuckAfterMs !== undefined ? { failoverStuckAfterMs: stuckAfterMs } : {}),
      batchId: input.batchId,
    };
    try {
      const child = await startChild<typeof generateVideo>(GENERATE_VIDEO_WORKFLOW, {
        workflowId: base.workflowId,
        args: [childInput],
        // Closing the batch (cancel, terminate, timeout) cancels its jobs, which then remove
        // their partial downloads; TERMINATE (the default) would skip that cleanup.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        workflowIdReusePolicy: input.retryFailed
          ? WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY
          : WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [{ key: KLING_BATCH_ID, value: input.batchId }],
      });
      return { ...base, ...generationOutcome(await child.result()) };
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        // The job exists (running, or closed in a state the reuse policy keeps): never start
        // it again, wait for it and report its result.
        return { ...base, ...(await existingOutcome(base.workflowId)), existing: true };
      }
      if (error instanceof ChildWorkflowFailure) return { ...base, ...failureOutcome(error.cause) };
      if (isCancellation(error)) return { ...base, ...cancelledOutcome() };
      throw error;
    }
  }

  async function existingOutcome(workflowId: string): Promise<GenerationOutcome> {
    awaited.add(workflowId);
    try {
      return await awaitExistingGeneration({ workflowId });
    } catch (error) {
      if (isCancellation(error)) return cancelledOutcome();
      if (error instanceof ActivityFailure) return failureOutcome(error.cause);
      throw error;
    } finally {
      awaited.delete(workflowId);
    }
  }

  /** The manifest is a report: failing to write it (after retries) does not fail the batch. */
  async function writeManifest(
    results: BatchItemResult[],
  ): Promise<Pick<BatchResult, 'manifestPath' | 'manifestError'>> {
    try {
      const written = await writeBatchManifest({ batchId: input.batchId, items: results });
      return { manifestPath: written.path };
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      return { manifestError: truncateError(error.cause?.message ?? error.message) };
    }
  }

  function historyIsLong(): boolean {
    const current = workflowInfo();
    return current.continueAsNewSuggested || current.historyLength >= eventLimit;
  }

  function identity(item: BatchItem): Pick<BatchItemResult, 'key' | 'line' | 'workflowId'> {
    return {
      key: item.key,
      ...(item.line !== undefined ? { line: item.line } : {}),
      workflowId: batchItemWorkflowId(input.batchId, item.key),
    };
  }

  function skipped(item: BatchItem, reason: BatchSkipReason): BatchItemResult {
    return { ...identity(item), status: 'skipped', reason };
  }

  /** Every item not taken yet is reported as skipped. */
  function skipRest(reason: BatchSkipReason): void {
    for (; cursor < items.length; cursor++)
      slots[offset + cursor] = skipped(items[cursor]!, reason);
  }

  /** The results so far; only called once nothing is in flight, so every slot is filled. */
  function finished(): BatchItemResult[] {
    return slots.filter((slot): slot is BatchItemResult => slot !== undefined);
  }

  function status(): BatchStatus {
    const counts = countResults(slots.filter((slot) => slot !== undefined));
    const done = counts.succeeded + counts.failed + counts.skipped;
    return {
      batchId: input.batchId,
      workflowId: info.workflowId,
      state: 'running',
      total: progress.total,
      ...counts,
      running: running.size,
      pending: progress.total - done - running.size,
      estimatedSpend: progress.estimatedSpend,
      ...(input.maxCost !== undefined ? { maxCost: input.maxCost } : {}),
      stoppedByBudget: progress.stoppedByBudget,
      runs: progress.runs,
      startedAt: progress.startedAt,
      ...(progress.total <= BATCH_STATUS_ITEMS_LIMIT ? { items: itemViews() } : {}),
    };
  }

  function itemViews(): BatchItemView[] {
    const views: BatchItemView[] = [];
    for (let position = 0; position < progress.total; position++) {
      const result = slots[position];
      if (result) {
        views.push(result);
        continue;
      }
      const item = items[position - offset];
      if (!item) continue;
      views.push({ ...identity(item), status: running.has(position) ? 'running' : 'pending' });
    }
    return views;
  }
}

function cancelledOutcome(): GenerationOutcome {
  return { status: 'failed', error: 'cancelled', errorKind: 'cancelled' };
}
