import { WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { KlingflowClient } from '../../client/klingflow-client.js';
import { ValidationError } from '../../errors.js';
import { CommandExit, ExitCode } from '../exit-codes.js';
import { report, waitWithProgress } from './generate.js';

export function registerStatusCommands(program: Command): void {
  program
    .command('status')
    .description('show a generation (--wait blocks until it has finished)')
    .argument('<workflowId>')
    .option('--wait', 'wait until the generation has finished, showing progress')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, flags: { wait?: boolean; json?: boolean }) => {
      const client = await KlingflowClient.connect();
      try {
        const status = flags.wait
          ? await waitWithProgress(client, workflowId, Boolean(flags.json))
          : await client.getStatus(workflowId);
        report(status, Boolean(flags.json));
        if (status.status === 'failed' || status.status === 'cancelled')
          throw new CommandExit(ExitCode.failed);
      } catch (error) {
        throw notFoundAsInvalidInput(error, workflowId);
      } finally {
        await client.close();
      }
    });

  program
    .command('cancel')
    .description('cancel a generation; partial downloads are removed')
    .argument('<workflowId>')
    .action(async (workflowId: string) => {
      const client = await KlingflowClient.connect();
      try {
        await client.cancel(workflowId);
        process.stdout.write(`cancellation requested for ${workflowId}\n`);
      } catch (error) {
        throw notFoundAsInvalidInput(error, workflowId);
      } finally {
        await client.close();
      }
    });
}

function notFoundAsInvalidInput(error: unknown, workflowId: string): unknown {
  if (error instanceof WorkflowNotFoundError) {
    return new ValidationError([
      { field: 'workflowId', message: `no generation with id ${workflowId}` },
    ]);
  }
  return error;
}
