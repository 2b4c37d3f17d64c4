import type {
  CancelAttemptOutcome,
  SpendOutcome,
  SpendSummary,
  SpendTask,
} from '../../contracts/generation.js';
import type { Price } from '../../providers/provider.js';

/**
 * The job's spend ledger: every task a provider created, or may have created, for this job,
 * and what became of it. Totals are recomputed from the entries, so they can never drift.
 */

/** A price in USD: its `usd` estimate, or the amount itself when priced in USD. */
export function priceUsd(price: Price): number | undefined {
  if (price.usd !== undefined) return price.usd;
  return price.unit === 'USD' ? price.amount : undefined;
}

export function recordTask(spend: SpendSummary, task: SpendTask): void {
  spend.tasks.push(task);
  recompute(spend);
}

/** Settles the still-rendering task of an attempt (delivered, failed, abandoned). */
export function settleAttempt(spend: SpendSummary, attempt: number, outcome: SpendOutcome): void {
  for (const task of spend.tasks) {
    if (task.attempt === attempt && task.outcome === 'rendering') task.outcome = outcome;
  }
}

/** The attempt's task, if the provider accepted one (the entry with a task id). */
export function taskOfAttempt(spend: SpendSummary, attempt: number): SpendTask | undefined {
  return spend.tasks.find((task) => task.attempt === attempt && task.taskId !== undefined);
}

/** What asking the provider to cancel the attempt's task achieved. */
export function recordCancelAttempt(
  spend: SpendSummary,
  attempt: number,
  outcome: CancelAttemptOutcome,
): void {
  const task = taskOfAttempt(spend, attempt);
  if (task) task.cancelAttempt = outcome;
}

/**
 * Why a provider must be skipped under the job's hard cap, or undefined when its price fits:
 * the ledger (everything that may already be billed) plus this price must stay ≤ maxCost.
 */
export function overBudget(
  spend: SpendSummary,
  price: Price,
  maxCost: number | undefined,
): string | undefined {
  if (maxCost === undefined) return undefined;
  const usd = priceUsd(price);
  if (usd === undefined) {
    return `price ${price.amount} ${price.unit} has no USD value to check against max cost $${maxCost}`;
  }
  // Cents are compared as integers-ish: 0.1 + 0.2 must fit under 0.3.
  if (spend.usd + usd > maxCost + 1e-9) {
    return `$${usd} would bring this job's spend to $${round(spend.usd + usd)}, over max cost $${maxCost}`;
  }
  return undefined;
}

function recompute(spend: SpendSummary): void {
  let usd = 0;
  const byUnit: Partial<Record<string, number>> = {};
  for (const task of spend.tasks) {
    usd += priceUsd(task.estimatedCost) ?? 0;
    const unit = task.estimatedCost.unit;
    byUnit[unit] = round((byUnit[unit] ?? 0) + task.estimatedCost.amount);
  }
  spend.usd = round(usd);
  spend.byUnit = byUnit;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
