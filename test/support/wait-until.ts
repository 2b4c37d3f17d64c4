import { describeExit, type KlingflowProcess } from './processes.js';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Processes that must stay up meanwhile: if one exits, the wait fails at once with its output. */
  processes?: readonly KlingflowProcess[];
}

/**
 * Polls `probe` until it returns a truthy value, and returns it. Errors the probe throws count as
 * "not yet" (a file that does not exist yet, a query while a server restarts); the last one is
 * attached when the wait times out.
 */
export async function waitUntil<T>(
  description: string,
  probe: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const died = options.processes?.find((child) => child.hasExited);
    if (died) {
      throw new Error(
        `${died.args.join(' ')} exited (${describeExit(died.exit)}) while waiting until ${description}\n${died.output}`,
      );
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${description}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
