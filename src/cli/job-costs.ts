import { type Client, type WorkflowExecutionInfo, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { BatchSpend } from '../contracts/batch.js';
import type { GenerationStatus } from '../contracts/generation.js';
import { statusQuery } from '../contracts/messages.js';

const CONCURRENCY = 8;
const DEADLINE_MS = 2_000;

/**
 * What each listed job has spent (its ledger's totals: USD, and per price unit for providers
 * priced in credits or units), read as cheaply as Temporal allows:
 * a finished job's status is its result (or its failure's details), read from the close event
 * alone; a running job answers the status query from its worker, and so does a cancelled,
 * terminated or timed-out one (a worker replays it: its ledger may hold tasks a provider billed). Jobs whose
 * worker does not answer within 2 s are left without a cost.
 */
export async function readJobCosts(
  client: Client,
  executions: readonly WorkflowExecutionInfo[],
): Promise<Map<string, BatchSpend>> {
  const costs = new Map<string, BatchSpend>();
  let next = 0;
  const worker = async () => {
    while (next < executions.length) {
      const execution = executions[next++];
      if (!execution) continue;
      const status = await client
        .withDeadline(Date.now() + DEADLINE_MS, () => finalOrCurrentStatus(client, execution))
        .catch(() => undefined);
      const spend = status?.spend;
      if (typeof spend?.usd === 'number') {
        costs.set(execution.workflowId, { usd: spend.usd, byUnit: spend.byUnit ?? {} });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return costs;
}

async function finalOrCurrentStatus(
  client: Client,
  execution: WorkflowExecutionInfo,
): Promise<GenerationStatus | undefined> {
  const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
  switch (execution.status.name) {
    case 'COMPLETED':
      return (await handle.result()) as GenerationStatus;
    case 'FAILED':
      try {
        await handle.result();
      } catch (error) {
        const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
        if (cause instanceof ApplicationFailure) return cause.details?.[0] as GenerationStatus;
      }
      return undefined;
    default:
      // Running, cancelled, terminated, timed out: the status query, as `status` asks it.
      return handle.query(statusQuery);
  }
}
