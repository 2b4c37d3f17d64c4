import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Real `klingflow` processes for the e2e tests: spawn them exactly as a user would
 * (`node bin/klingflow.js …`), collect their output, wait for a line or a condition, and kill
 * them for real. Every process spawned here is tracked so a test's teardown can make sure none
 * is left running.
 */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const KLINGFLOW_BIN = fileURLToPath(new URL('../../bin/klingflow.js', import.meta.url));

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  inTerminal?: boolean;
  cwd?: string;
}

const running = new Set<KlingflowProcess>();
let spawned: KlingflowProcess[] = [];

/** One spawned `klingflow` process and everything it printed so far. */
export class KlingflowProcess {
  readonly child: ChildProcess;
  readonly args: readonly string[];
  stdout = '';
  stderr = '';
  /** Set once the process has exited. */
  exit: ProcessExit | undefined;
  readonly exited: Promise<ProcessExit>;
  private readonly listeners = new Set<() => void>();

  /**
   * `inTerminal`: the process leads a process group of its own, as a shell's foreground job does,
   * so `pressCtrlC` reaches it and everything it started that stayed in its group. `cwd`: where
   * it runs (the repository by default).
   */
  constructor(args: readonly string[], environment: NodeJS.ProcessEnv, options: SpawnOptions = {}) {
    this.args = args;
    this.child = spawn(process.execPath, [KLINGFLOW_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.inTerminal === true,
    });
    running.add(this);
    spawned.push(this);
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
      this.notify();
    });
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      // `close` (not `exit`) so stdout and stderr are complete when it resolves.
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        this.notify();
        resolve(this.exit);
      });
    });
    // Callers that never await `exited` must not see an unhandled rejection.
    this.exited.catch(() => {});
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** stdout and stderr, for failure messages. */
  get output(): string {
    return `$ klingflow ${this.args.join(' ')}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Resolves with the first match of `pattern` in stdout or stderr; rejects if the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = this.stdout.match(pattern) ?? this.stderr.match(pattern);
        if (match) return finish(() => resolve(match));
        if (this.exit) {
          return finish(() =>
            reject(
              new Error(
                `process exited (${describeExit(this.exit)}) before printing ${pattern}\n${this.output}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          finish(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms\n${this.output}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal` (SIGKILL by default) and resolves once the process has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 20_000): Promise<ProcessExit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once the process exits by itself; kills it and rejects if it outlives `timeoutMs`. */
  async waitForExit(timeoutMs = 60_000): Promise<ProcessExit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`still running ${timeoutMs} ms later\n${this.output}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** What a terminal does on Ctrl-C: SIGINT to every process in the foreground group. */
  pressCtrlC(): void {
    if (this.exit || this.pid === undefined) return;
    process.kill(-this.pid, 'SIGINT');
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

export function describeExit(exit: ProcessExit | undefined): string {
  if (!exit) return 'still running';
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

/** Starts `klingflow <args>` without waiting for it. */
export function spawnKlingflow(
  args: readonly string[],
  environment: NodeJS.ProcessEnv,
  options: SpawnOptions = {},
): KlingflowProcess {
  return new KlingflowProcess(args, environment, options);
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Both streams with the command line, for assertion messages. */
  output: string;
}

/** Runs `klingflow <args>` to completion (killed, and an error, if it outlives `timeoutMs`). */
export async function runKlingflow(
  args: readonly string[],
  environment: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<CommandResult> {
  const child = spawnKlingflow(args, environment);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const exit = await child.exited;
    if (timedOut)
      throw new Error(`klingflow did not finish within ${timeoutMs} ms\n${child.output}`);
    return { ...exit, stdout: child.stdout, stderr: child.stderr, output: child.output };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `klingflow worker` with `environment`, resolved once it says it is connected. The worker is
 * polling its task queue from then on (tasks started earlier wait in the queue for it).
 */
export async function startWorkerProcess(
  environment: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<KlingflowProcess> {
  const worker = spawnKlingflow(['worker'], environment);
  try {
    await worker.waitForOutput(/worker connected to /, timeoutMs);
  } catch (error) {
    await worker.kill();
    throw error;
  }
  return worker;
}

/** Kills every process spawned here that is still running, and waits until each has exited. */
export async function killAllProcesses(): Promise<void> {
  await Promise.all([...running].map((child) => child.kill('SIGKILL')));
}

/**
 * Kills what is still running, and returns the output of every process spawned since the last
 * call (for a failing test's report); then forgets them.
 */
export async function endProcesses(): Promise<string> {
  await killAllProcesses();
  const report = spawned
    .map((child) => `${child.output}\n--- ${describeExit(child.exit)} ---`)
    .join('\n\n');
  spawned = [];
  return report;
}

/** Processes spawned here that have not exited (teardown asserts this is empty: no orphans). */
export function runningProcesses(): KlingflowProcess[] {
  return [...running];
}
