import { Command, CommanderError } from 'commander';
import { formatIssue, ValidationError } from '../errors.js';
import { registerBatchCommand } from './commands/batch.js';
import { registerGenerateCommand } from './commands/generate.js';
import { registerListCommand } from './commands/list.js';
import { registerProvidersCommand } from './commands/providers.js';
import { registerSchemaCommand } from './commands/schema.js';
import { registerServerCommands } from './commands/server.js';
import { registerStatusCommands } from './commands/status.js';
import { registerWorkerCommand } from './commands/worker.js';
import { CommandExit, ExitCode, exitCodeFor } from './exit-codes.js';
import { note } from './output.js';

export function createProgram(): Command {
  const program = new Command()
    .name('klingflow')
    .description(
      'Durable Kling AI video generation on Temporal: failover across providers, no double payment.',
    )
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  registerServerCommands(program);
  registerWorkerCommand(program);
  registerGenerateCommand(program);
  registerStatusCommands(program);
  registerListCommand(program);
  registerBatchCommand(program);
  registerProvidersCommand(program);
  registerSchemaCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return ExitCode.success;
  } catch (error) {
    if (error instanceof CommandExit) {
      if (error.message) note(error.message);
      return error.code;
    }
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return ExitCode.success;
      return ExitCode.invalidInput;
    }
    if (error instanceof ValidationError) {
      note(
        `invalid input, nothing was submitted:\n${error.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`,
      );
      return ExitCode.invalidInput;
    }
    note(error instanceof Error ? error.message : String(error));
    return exitCodeFor(error);
  }
}

// `klingflow providers --json | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await main(process.argv);
