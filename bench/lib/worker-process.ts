import { type ChildProcess, spawn } from 'node:child_process';

export interface SpawnedProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output contains the text (bounded by the timeout). */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs node with `args` as a child process (a bench worker, `klingflow worker` with node options
 * such as `--cpu-prof`). Plain `klingflow` commands are test/support/processes.ts's.
 */
export function spawnNode(args: string[], environment: NodeJS.ProcessEnv): SpawnedProcess {
  const child = spawn(process.execPath, args, {
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async waitFor(text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (child.exitCode !== null) throw new Error(`process exited before "${text}":\n${output}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}":\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // A graceful stop that hangs must not hang the benchmark.
      const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(force);
    },
  };
}
