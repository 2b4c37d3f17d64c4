import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { KlingflowClient } from '../../client/klingflow-client.js';
import { requireId } from '../../client/required-id.js';
import { BATCH_GENERATE_WORKFLOW, batchWorkflowId } from '../../contracts/batch.js';
import { ValidationError } from '../../errors.js';
import { plainLine, waitingLine } from '../batch-progress.js';
import { CommandExit, ExitCode } from '../exit-codes.js';
import { lostWhileFollowing } from '../lost-connection.js';
import { printJson, printText } from '../output.js';
import { summariseBatch, waitForBatchWithProgress } from './batch.js';
import { report, waitWithProgress } from './generate.js';

export function registerStatusCommands(program: Command): void {
  program
    .command('status')
    .description(
      'show a generation, or a batch by its id or workflow id (--wait blocks until it has finished)',
    )
    .argument('<workflowId>')
    .option('--wait', 'wait until the generation has finished, showing progress')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, flags: { wait?: boolean; json?: boolean }) => {
      requireId(workflowId, 'workflowId');
      const client = await KlingflowClient.connect();
      try {
        const batchId = (await lookUp(client, workflowId))?.batchId;
        if (batchId !== undefined) return await showBatch(client, batchId, flags);
        const status = flags.wait
          ? await waitWithProgress(client, workflowId, Boolean(flags.json))
          : await client.getStatus(workflowId);
        report(status, Boolean(flags.json));
        if (status.status === 'failed' || status.status === 'cancelled')
          throw new CommandExit(ExitCode.failed);
      } catch (error) {
        throw lostWhileFollowing(notFoundAsInvalidInput(error, workflowId), {
          kind: 'job',
          id: workflowId,
        });
      } finally {
        await client.close();
      }
    });

  program
    .command('cancel')
    .description(
      'cancel a generation (partial downloads are removed), or a batch by its id or workflow id',
    )
    .argument('<workflowId>')
    .action(async (workflowId: string) => {
      requireId(workflowId, 'workflowId');
      const client = await KlingflowClient.connect();
      try {
        // A batch id cancels its batch workflow (which cancels the items in flight).
        const work = await lookUp(client, workflowId);
        if (!work) throw noGeneration(workflowId);
        const { workflowId: target, state } = work;
        if (state !== 'RUNNING') {
          process.stdout.write(
            `${target} already ended (${state.toLowerCase()}): nothing to cancel\n`,
          );
          return;
        }
        await client.cancel(target);
        process.stdout.write(`cancellation requested for ${target}\n`);
      } catch (error) {
        throw notFoundAsInvalidInput(error, workflowId);
      } finally {
        await client.close();
      }
    });
}

/**
 * What `id` names, from one `describe` (two for a batch id): a job, or a batch by its workflow id
 * (`batch-<id>`) or its batch id when no workflow has that id; undefined when nothing does.
 */
async function lookUp(
  client: KlingflowClient,
  id: string,
): Promise<{ workflowId: string; batchId?: string; state: string } | undefined> {
  const describe = async (workflowId: string) => {
    try {
      return await client.temporal.workflow.getHandle(workflowId).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  };
  const named = await describe(id);
  if (named) {
    const batchId = named.type === BATCH_GENERATE_WORKFLOW ? id.replace(/^batch-/, '') : undefined;
    return {
      workflowId: id,
      state: named.status.name,
      ...(batchId !== undefined ? { batchId } : {}),
    };
  }
  const batch = await describe(batchWorkflowId(id));
  if (batch?.type !== BATCH_GENERATE_WORKFLOW) return undefined;
  return { workflowId: batch.workflowId, batchId: id, state: batch.status.name };
}

/** A batch's counts (or, with --wait, its result once every item has finished); exit 1 if any item did not succeed. */
async function showBatch(
  client: KlingflowClient,
  batchId: string,
  flags: { wait?: boolean; json?: boolean },
): Promise<void> {
  if (flags.wait) {
    const result = await waitForBatchWithProgress(client, batchId, Boolean(flags.json)).catch(
      (error: unknown) => {
        if (!(error instanceof WorkflowFailedError)) {
          throw lostWhileFollowing(error, { kind: 'batch', id: batchId });
        }
        throw new CommandExit(
          ExitCode.failed,
          `batch ${batchId} did not finish: ${error.cause?.message ?? error.message}`,
        );
      },
    );
    if (flags.json) printJson(result);
    else printText(summariseBatch(result));
    if (result.failed > 0 || result.skipped > 0) throw new CommandExit(ExitCode.failed);
    return;
  }
  const status = await client.getBatchStatus(batchId);
  const unfinished = status.state === 'cancelled' || status.state === 'failed';
  if (flags.json) printJson(status);
  else if (status.waitingForWorker) printText(waitingLine(status));
  else {
    printText(
      `${plainLine(status, undefined)} · ${status.state}${unfinished && status.error ? `: ${status.error}` : ''}`,
    );
  }
  if (unfinished || status.failed > 0 || status.skipped > 0) throw new CommandExit(ExitCode.failed);
}

function notFoundAsInvalidInput(error: unknown, workflowId: string): unknown {
  return error instanceof WorkflowNotFoundError ? noGeneration(workflowId) : error;
}

function noGeneration(workflowId: string): ValidationError {
  return new ValidationError([
    { field: 'workflowId', message: `no generation with id ${workflowId}` },
  ]);
}
