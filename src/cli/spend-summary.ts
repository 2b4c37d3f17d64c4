import type { BatchSpend } from '../contracts/batch.js';
import type { GenerationStatus } from '../contracts/generation.js';

/**
 * One line for the human output: what the job's ledger says it spent, and where.
 * `spend: $0.30 — hyprlab failed-at-provider, kling delivered (task abc)`. A ledger no worker
 * could read is unknown, not empty; a job waiting for a worker gets no line (its summary says
 * the spend shows once one answers).
 */
export function spendLine(
  status: Pick<GenerationStatus, 'spend' | 'spendUnknown' | 'waitingForWorker'>,
): string | undefined {
  if (status.waitingForWorker) return undefined;
  if (status.spendUnknown) {
    return "  spend: unknown (no worker could read the job's state back: the provider's dashboard shows what it created)";
  }
  const spend = status.spend;
  const tasks = spend?.tasks ?? [];
  if (tasks.length === 0) return '  spend: $0.00 (no provider task was created)';
  const where = tasks
    .map(
      (task) =>
        `${task.provider} ${task.outcome}${task.taskId ? ` (task ${task.taskId})` : ' (task id unknown)'}`,
    )
    .join(', ');
  return `  spend: ${formatSpend(spend)} — ${where}`;
}

/** `$0.40`, with the totals per unit when some price is not in USD (`$0.40 (35 credits, 0.2 USD)`). */
export function formatSpend(spend: BatchSpend | undefined): string {
  const units = Object.entries(spend?.byUnit ?? {}).filter(([, amount]) => amount);
  const usd = `$${(spend?.usd ?? 0).toFixed(2)}`;
  if (units.every(([unit]) => unit === 'USD')) return usd;
  return `${usd} (${units.map(([unit, amount]) => `${amount} ${unit}`).join(', ')})`;
}
