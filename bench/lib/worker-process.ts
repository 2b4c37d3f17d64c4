import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/klingflow.js', import.meta.url));

export interface SpawnedProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output contains the text (bounded by the timeout). */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs a node script (a klingflow command, or a bench script through tsx) as a child process. */
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
      await exited;
    },
  };
}

/**
 * The runner's environment minus anything klingflow reads, so no real keys or settings reach a
 * klingflow child process; the caller adds what the run needs.
 */
export function childBaseEnvironment(): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      !/^(TEMPORAL_|KLINGFLOW_|HYPRLAB_|OPENAI_HK_|KLING_|AI302_|APIMODELS_|APIFRAME_)/.test(name)
    )
      inherited[name] = value;
  }
  return { ...inherited, NO_COLOR: '1' };
}

/** `klingflow worker` with the given environment; resolves once it is polling. */
export async function startWorkerProcess(environment: NodeJS.ProcessEnv): Promise<SpawnedProcess> {
  const worker = spawnNode([CLI, 'worker'], environment);
  await worker.waitFor('worker connected to');
  return worker;
}
