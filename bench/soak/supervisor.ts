import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type KlingflowProcess, startWorkerProcess } from '../../test/support/processes.js';
import { monitorProcess } from '../lib/process-stats.js';

export const sleep = (milliseconds: number) =>
  new Promise<void>((resolveSleep) => setTimeout(resolveSleep, Math.max(0, milliseconds)));

/** How a graceful stop went: the worker's own exit, or SIGKILL after the bound. */
export interface GracefulExit {
  exitedAfterMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The worker did not exit within the bound and was killed. */
  forced: boolean;
}

/**
 * One `klingflow worker` process at a time. Kills, graceful stops, the server restart and
 * replacing a worker that died by itself take turns (`exclusively`), so a worker is never started
 * against a stopped server. Keeps each worker's output in the log directory and the peak RSS
 * over all of them.
 */
export class WorkerSupervisor {
  current: KlingflowProcess | undefined;
  launched = 0;
  unexpectedExits = 0;
  peakRssBytes = 0;
  private readonly expectedExits = new WeakSet<KlingflowProcess>();
  private turn: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly environment: NodeJS.ProcessEnv,
    private readonly logDirectory: string,
    private readonly say: (message: string) => void,
    private readonly notes: string[],
  ) {}

  exclusively<T>(action: () => Promise<T>): Promise<T> {
    const next = this.turn.then(action, action);
    this.turn = next.catch(() => {});
    return next;
  }

  /** Starts a worker (up to three tries) and resolves once it says it is connected. */
  async launch(): Promise<KlingflowProcess> {
    let lastError: unknown;
    for (let tries = 0; tries < 3; tries++) {
      try {
        const worker = await startWorkerProcess(this.environment);
        this.watch(worker, ++this.launched);
        this.current = worker;
        return worker;
      } catch (error) {
        lastError = error;
        this.say(`worker did not start (try ${tries + 1}): ${String(error).slice(0, 300)}`);
        await sleep(2_000);
      }
    }
    throw lastError;
  }

  /** Kills the current worker with SIGKILL, as planned (not counted as an unexpected exit). */
  async kill(): Promise<KlingflowProcess | undefined> {
    const worker = this.current;
    if (!worker) return undefined;
    this.expectedExits.add(worker);
    await worker.kill('SIGKILL');
    return worker;
  }

  /**
   * Stops the current worker as a deploy does (SIGTERM) and waits for it to exit by itself; after
   * `boundMs` it is killed, and the exit says so.
   */
  async stopGracefully(boundMs: number): Promise<GracefulExit | undefined> {
    const worker = this.current;
    if (!worker || !this.isAlive(worker)) return undefined;
    this.expectedExits.add(worker);
    const started = Date.now();
    const exited = new Promise<void>((resolveExit) =>
      worker.child.once('exit', () => resolveExit()),
    );
    worker.child.kill('SIGTERM');
    const inTime = await Promise.race([exited.then(() => true), sleep(boundMs).then(() => false)]);
    if (!inTime) await worker.kill('SIGKILL');
    return {
      exitedAfterMs: Date.now() - started,
      code: worker.child.exitCode,
      signal: worker.child.signalCode,
      forced: !inTime,
    };
  }

  isAlive(worker: KlingflowProcess | undefined = this.current): boolean {
    return (
      worker !== undefined && worker.child.exitCode === null && worker.child.signalCode === null
    );
  }

  /** Ends the run's last worker. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    await this.kill();
  }

  private watch(worker: KlingflowProcess, number: number): void {
    const monitor = monitorProcess(worker.child.pid!);
    worker.child.once('exit', (code, signal) => {
      this.peakRssBytes = Math.max(this.peakRssBytes, monitor.stop().peakRssBytes);
      void writeFile(join(this.logDirectory, `worker-${number}.log`), worker.output).catch(
        () => {},
      );
      if (this.stopping || this.expectedExits.has(worker)) return;
      this.unexpectedExits += 1;
      const message = `worker ${number} (pid ${worker.child.pid}) exited by itself (${signal ?? `code ${code}`}); a new one is started`;
      this.notes.push(message);
      this.say(message);
      void this.exclusively(async () => {
        if (!this.stopping && this.current === worker) await this.launch();
      }).catch((error: unknown) => this.say(`could not replace the worker: ${error}`));
    });
  }
}
