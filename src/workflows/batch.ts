import {
  ActivityFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { BatchBudget, type RoutePrice } from './batch-budget.js';
import { earlierGenerationSpend, runItemJob, type TakenItem } from './batch-item-job.js';
import {
  addSpend,
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
  MAX_BATCH_CONCURRENCY,
  roundUsd,
  sumSpend,
  truncateError,
} from './batch-types.js';
import { batchStatusQuery } from './definitions.js';
import { KLING_BATCH_ID } from './search-attributes.js';

const { estimateCost } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

const { writeBatchManifest } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 10 },
});

/**
 * A batch of generations: one child `generateVideo` per item, with deterministic workflow ids
 * (batchItemWorkflowId), at most `concurrency` in flight, and an optional budget that failover
 * cannot exceed (batch-budget.ts: each item in flight reserves what its route may cost, and
 * settles to what its ledger says it spent). Re-running a batch id never starts an item's job again while it runs or after it
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
  /** Items ended in this run: an item waiting for budget waits for this to change. */
  let settledCount = 0;
  // Batches started before budgets reserved for failover keep their recorded behaviour.
  const reserving = patched('batch-budget-reservations');
  const budget =
    reserving && input.maxCost !== undefined
      ? new BatchBudget(input.maxCost, sumSpend(progress.results).usd)
      : undefined;

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
      const taken = await takeItem(item, position);
      if (!taken) continue;
      running.add(position);
      void runItem(item, position, taken).then(
        (result) => {
          slots[position] = result;
          running.delete(position);
          settledCount++;
        },
        (error: unknown) => {
          bug ??= { error };
          running.delete(position);
          settledCount++;
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
      spend: sumSpend(results),
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

  /**
   * Estimates the item and, under a budget, reserves what its route may cost (waiting while
   * items in flight may still give some back). Undefined when the item is not started: its slot
   * then holds why (over budget, or no provider).
   */
  async function takeItem(item: BatchItem, position: number): Promise<TakenItem | undefined> {
    const earlier =
      reserving && input.retryFailed
        ? await earlierGenerationSpend({ workflowId: identity(item).workflowId })
        : {};
    if (earlier.spend) budget?.addSpent(earlier.spend.usd);
    const notStarted = {
      ...identity(item),
      ...(earlier.spend ? { spend: earlier.spend } : {}),
      ...(earlier.unknown ? { spendUnknown: true } : {}),
    };
    const legacyRemaining =
      !reserving && input.maxCost !== undefined
        ? Math.max(0, roundUsd(input.maxCost - progress.estimatedSpend))
        : undefined;
    const estimateBudget = reserving ? input.maxCost : legacyRemaining;
    const estimate = await estimateCost({
      request: item.request,
      ...(item.providers ? { providers: item.providers } : {}),
      ...(estimateBudget !== undefined ? { maxCost: estimateBudget } : {}),
    });
    if (!estimate.provider) {
      // Over budget: the next item would push the spend past the budget, stop submitting.
      if (estimate.overBudget) progress.stoppedByBudget = true;
      slots[position] = estimate.overBudget
        ? { ...notStarted, status: 'skipped', reason: 'over-budget' }
        : {
            ...notStarted,
            status: 'failed',
            error: truncateError(`no provider can serve this request: ${estimate.reason ?? ''}`),
            errorKind: 'no-provider',
          };
      return undefined;
    }
    let maxCost = legacyRemaining;
    let providers = item.providers;
    if (budget) {
      const reservation = await reserveWhenPossible(budget, position, estimate.route ?? []);
      if (reservation === undefined) {
        progress.stoppedByBudget = true;
        slots[position] = { ...notStarted, status: 'skipped', reason: 'over-budget' };
        return undefined;
      }
      maxCost = reservation.usd;
      providers = reservation.providers ?? providers;
    }
    if (estimate.usd !== undefined) {
      progress.estimatedSpend = roundUsd(progress.estimatedSpend + estimate.usd);
    }
    return {
      ...(estimate.usd !== undefined ? { estimatedCost: estimate.usd } : {}),
      ...(maxCost !== undefined ? { maxCost } : {}),
      ...(providers ? { providers } : {}),
      ...(earlier.spend ? { earlierSpend: earlier.spend } : {}),
    };
  }

  async function reserveWhenPossible(
    budget: BatchBudget,
    position: number,
    route: readonly RoutePrice[],
  ): Promise<ReturnType<BatchBudget['reserve']>> {
    for (;;) {
      const reservation = budget.reserve(position, route);
      if (reservation !== undefined || running.size === 0) return reservation;
      const settledBefore = settledCount;
      await condition(() => settledCount !== settledBefore || bug !== undefined);
      if (bug) throw bug.error;
    }
  }

  /** Runs the item's job; under a budget its reservation then becomes what it spent. */
  async function runItem(
    item: BatchItem,
    position: number,
    taken: TakenItem,
  ): Promise<BatchItemResult> {
    const outcome = await runItemJob({ input, awaited }, item, identity(item), taken);
    const unknown = outcome.spendUnknown === true;
    let spend = outcome.spend;
    if (budget) {
      const reservation = budget.settle(position, spend, !unknown);
      if (unknown) spend = { usd: reservation, byUnit: {} };
    }
    spend = taken.earlierSpend ? addSpend(taken.earlierSpend, spend) : spend;
    const { spend: _own, spendUnknown: _unknown, ...rest } = outcome;
    return {
      ...rest,
      ...(spend && spend.usd + Object.keys(spend.byUnit).length > 0 ? { spend } : {}),
      ...(unknown ? { spendUnknown: true } : {}),
    };
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
      workflowId: batchItemWorkflowId(input.batchId, item.key, input.itemIdScheme),
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
      spend: sumSpend(slots.filter((slot) => slot !== undefined)),
      reserved: budget?.reserved() ?? 0,
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
