import type { CostEstimate, EstimateCostInput } from '../contracts/batch.js';
import type { createPlanRoute } from './plan-route.js';

/**
 * A batch item's estimated cost before it is started: the price of the first provider its job
 * would try, and the price of every provider of its route (failover could pay each of them once:
 * what the batch reserves for the item). It asks the same route planner the job itself runs
 * (same registry, same order, same budget rule, same KLINGFLOW_PRICE_RATES).
 */
export function createEstimateCost(deps: { planRoute: ReturnType<typeof createPlanRoute> }) {
  return async function estimateCost(input: EstimateCostInput): Promise<CostEstimate> {
    const plan = await deps.planRoute({
      request: input.request,
      ...(input.providers ? { providers: input.providers } : {}),
      ...(input.maxCost !== undefined ? { maxCost: input.maxCost } : {}),
    });
    const first = plan.route[0];
    if (first) {
      return {
        provider: first.provider,
        ...(first.price.usd !== undefined ? { usd: first.price.usd } : {}),
        route: plan.route.map((entry) => ({
          provider: entry.provider,
          ...(entry.price.usd !== undefined ? { usd: entry.price.usd } : {}),
        })),
        overBudget: false,
      };
    }
    const reason =
      plan.skipped.length > 0
        ? plan.skipped.map((skip) => `${skip.provider}: ${skip.reason}`).join('; ')
        : 'no provider is configured on the worker';
    // Only a price over the budget stops a batch; an item no provider can price in USD fails
    // alone, and the items after it still run.
    return {
      overBudget: plan.skipped.some((skip) => skip.errorKind === 'over-budget' && !skip.unpriced),
      reason,
    };
  };
}

/**
 * Many batch items' estimates in one call: a batch whose budget rule does not change between
 * items estimates them in chunks, one local activity (and history marker) for many items
 * instead of one each, which held the batch's workflow tasks open item by item.
 */
export function createEstimateCosts(deps: { estimateCost: ReturnType<typeof createEstimateCost> }) {
  return async function estimateCosts(inputs: EstimateCostInput[]): Promise<CostEstimate[]> {
    const estimates: CostEstimate[] = [];
    for (const input of inputs) estimates.push(await deps.estimateCost(input));
    return estimates;
  };
}
