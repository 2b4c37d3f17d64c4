import { CommanderError } from 'commander';
import { formatIssue, ValidationError } from '../errors.js';
import { CommandExit, ExitCode, exitCodeFor } from './exit-codes.js';
import { note } from './output.js';
import { refusePastedDashes } from './pasted-dashes.js';
import { createProgram } from './program.js';
import { unknownNamespace } from './unknown-namespace.js';

export async function main(argv: string[]): Promise<number> {
  try {
    const program = await createProgram(argv);
    refusePastedDashes(program, argv.slice(2));
    await program.parseAsync(argv);
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
    const known = unknownNamespace(error) ?? error;
    note(known instanceof Error ? known.message : String(known));
    return exitCodeFor(known);
  }
}

// The AWS SDK warns on Node 20 that its releases after January 2027 need Node 22: true, but not
// for the version the lockfile installs, and eight lines on every S3-backed command (a JSON log
// line's worth of noise) that a user cannot act on. `=false` shows it again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `klingflow providers --json | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await main(process.argv);
