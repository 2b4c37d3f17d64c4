import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs a bench probe in a node process of its own and returns the JSON object it printed last.
 * As `node --import tsx`, not through the tsx CLI: the CLI runs the script in a child process of
 * its own, without the node flags given here (a download probe needs `--expose-gc`), and the
 * process measured would not be the one doing the work.
 */
export async function runProbeProcess<T>(
  script: string,
  args: string[],
  options: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<T> {
  const { stdout } = await run(
    process.execPath,
    [...(options.nodeFlags ?? []), '--import', 'tsx', script, ...args],
    { maxBuffer: 1024 * 1024, ...(options.env ? { env: options.env } : {}) },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as T;
}
