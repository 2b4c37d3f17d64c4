import { addSpend, type BatchItem, type BatchItemResult } from '../../contracts/batch.js';
import { runItemJob, type TakenItem } from '../batch-item-job.js';
import type { BatchRun } from './batch-run.js';

/**
 * Starts the item's job without waiting for it: its slot is filled when it ends, and a
 * programming error in its task is kept for the batch loop to rethrow.
 */
export function launchItem(run: BatchRun, item: BatchItem, position: number, taken: TakenItem) {
  run.running.add(position);
  void runItem(run, item, position, taken).then(
    (result) => {
      run.slots[position] = result;
      run.running.delete(position);
      run.settledCount++;
    },
    (error: unknown) => {
      run.bug ??= { error };
      run.running.delete(position);
      run.settledCount++;
    },
  );
}

/** Runs the item's job; under a budget its reservation then becomes what it spent. */
async function runItem(
  run: BatchRun,
  item: BatchItem,
  position: number,
  taken: TakenItem,
): Promise<BatchItemResult> {
  const { budget } = run;
  const outcome = await runItemJob(
    { input: run.input, awaited: run.awaited },
    item,
    run.identity(item),
    taken,
  );
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
