import { constants } from 'node:os';

/** What stops a foreground command: Ctrl-C, a service manager's stop, a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The exit status a shell reports for a process ended by `signal` (128 + its number). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/**
 * Calls `stop` on the first stop signal. A second one means the user will not wait for a clean
 * stop: the process exits at once with the signal's status (the dev server it started is ended
 * on the way out, dev-server.ts). Returns a function that removes the listeners.
 */
export function onStopSignals(
  stop: (signal: StopSignal) => void,
  log: (message: string) => void,
): () => void {
  let stopping = false;
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => {
      if (!stopping) {
        stopping = true;
        stop(signal);
        return;
      }
      log(`${signal} again: exiting without waiting`);
      process.exit(signalExitCode(signal));
    };
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
