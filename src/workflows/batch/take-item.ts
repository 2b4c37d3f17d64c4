import { condition, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import {
  type BatchItem,
  type CostEstimate,
  type EstimateCostInput,
  roundUsd,
  truncateError,
} from '../../contracts/batch.js';
import type { BatchBudget, RoutePrice } from '../batch-budget.js';
import { earlierGenerationSpend, type TakenItem } from '../batch-item-job.js';
import type { BatchRun } from './batch-run.js';

const { estimateCost, estimateCosts } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

/** Items estimated per local activity on `batch-v2`. */
const ESTIMATE_CHUNK = 100;

/**
 * Estimates the item and, under a budget, reserves what its route may cost (waiting while
 * items in flight may still give some back). Undefined when the item is not started: its slot
 * then holds why (over budget, or no provider).
 */
export async function takeItem(
  run: BatchRun,
  item: BatchItem,
  position: number,
): Promise<TakenItem | undefined> {
  const { input, progress, budget, reserving } = run;
  const earlier =
    reserving && input.retryFailed
      ? await earlierGenerationSpend({ workflowId: run.identity(item).workflowId })
      : {};
  if (earlier.spend) budget?.addSpent(earlier.spend.usd);
  const notStarted = {
    ...run.identity(item),
    ...(earlier.spend ? { spend: earlier.spend } : {}),
    ...(earlier.unknown ? { spendUnknown: true } : {}),
  };
  if (earlier.paidTask && !input.retryPaid) {
    // Running the item again pays again: its earlier job's provider may have billed a task.
    const { provider, why } = earlier.paidTask;
    const held =
      why === 'ambiguous-submit'
        ? `may hold a paid task at ${provider} (ambiguous submit); look for it there`
        : why === 'abandoned'
          ? `gave up a task at ${provider} that was still rendering and may bill; look for it there`
          : `has a paid render at ${provider} whose download failed; fetch it there`;
    run.slots[position] = {
      ...notStarted,
      status: 'failed',
      error: truncateError(
        `not retried: the earlier job ${held}, and retry with --retry-paid only to pay again`,
      ),
      errorKind: why,
    };
    return undefined;
  }
  const legacyRemaining =
    !reserving && input.maxCost !== undefined
      ? Math.max(0, roundUsd(input.maxCost - progress.estimatedSpend))
      : undefined;
  const estimateBudget = reserving ? input.maxCost : legacyRemaining;
  const estimate = run.v2
    ? await chunkedEstimate(run, position - run.offset, estimateBudget)
    : await estimateCost(estimateInput(item, estimateBudget));
  if (!estimate.provider) {
    // Over budget: the next item would push the spend past the budget, stop submitting.
    if (estimate.overBudget) progress.stoppedByBudget = true;
    run.slots[position] = estimate.overBudget
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
    const reservation = await reserveWhenPossible(run, budget, position, estimate.route ?? []);
    if (reservation === undefined) {
      progress.stoppedByBudget = true;
      run.slots[position] = { ...notStarted, status: 'skipped', reason: 'over-budget' };
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

/** A reservation for the item's route, waiting for items in flight to settle while none fits. */
async function reserveWhenPossible(
  run: BatchRun,
  budget: BatchBudget,
  position: number,
  route: readonly RoutePrice[],
): Promise<ReturnType<BatchBudget['reserve']>> {
  for (;;) {
    const reservation = budget.reserve(position, route);
    if (reservation !== undefined || run.running.size === 0) return reservation;
    const settledBefore = run.settledCount;
    await condition(() => run.settledCount !== settledBefore || run.bug !== undefined);
    run.throwIfBug();
  }
}

function estimateInput(item: BatchItem, maxCost: number | undefined): EstimateCostInput {
  return {
    request: item.request,
    ...(item.providers ? { providers: item.providers } : {}),
    ...(maxCost !== undefined ? { maxCost } : {}),
  };
}

/**
 * The item's estimate from the chunk it falls in, estimating the next chunk when it is not
 * there yet. Only on `batch-v2`, which reserves: every item is estimated against the same
 * budget (the whole `maxCost`), so estimating ahead gives what estimating one by one would.
 */
async function chunkedEstimate(
  run: BatchRun,
  index: number,
  maxCost: number | undefined,
): Promise<CostEstimate> {
  if (!run.estimates.has(index)) {
    const chunk = run.items.slice(index, index + ESTIMATE_CHUNK);
    const estimates = await estimateCosts(chunk.map((item) => estimateInput(item, maxCost)));
    for (const [offset, estimate] of estimates.entries())
      run.estimates.set(index + offset, estimate);
  }
  const estimate = run.estimates.get(index)!;
  run.estimates.delete(index);
  return estimate;
}
