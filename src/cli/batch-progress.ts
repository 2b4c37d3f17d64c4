import { Presets, SingleBar } from 'cli-progress';
import type { BatchStatus } from '../contracts/batch.js';
import { waitingForWorker } from './output.js';
import { printableText } from './terminal-text.js';

export interface BatchProgressReporter {
  update(status: BatchStatus): void;
  finish(): void;
}

/**
 * Shows a running batch on stderr. On a terminal: a progress bar (cli-progress) with items done,
 * succeeded / failed / running counts, the estimated spend and an ETA. Elsewhere (CI, pipes,
 * logs): a plain line when the counts change, at most one every `plainIntervalMs`, with the
 * same counts and an ETA from the average rate so far; the last state is always printed.
 */
export function createBatchProgress(
  options: { stream?: NodeJS.WriteStream; plainIntervalMs?: number; now?: () => number } = {},
): BatchProgressReporter {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const reporter =
    stream.isTTY === true
      ? createBar(stream, createEtaEstimator(now))
      : createPlain(stream, now, options.plainIntervalMs ?? 2_000);
  // Counts mean nothing until a worker runs the batch: say once what it waits for instead.
  let waitingNoted = false;
  return {
    update(status) {
      if (status.waitingForWorker) {
        if (!waitingNoted) stream.write(`${printableText(waitingLine(status))}\n`);
        waitingNoted = true;
        return;
      }
      reporter.update(status);
    },
    finish: () => reporter.finish(),
  };
}

/** `batch ID: N items waiting for a worker: none is polling task queue "q" (…)`. */
export function waitingLine(status: BatchStatus): string {
  const waiting = status.waitingForWorker;
  return `batch ${status.batchId}: ${status.total} items${waiting ? ` ${waitingForWorker(waiting)}` : ''}`;
}

function createPlain(
  stream: NodeJS.WriteStream,
  now: () => number,
  plainIntervalMs: number,
): BatchProgressReporter {
  const eta = createEtaEstimator(now);
  let lastLine = '';
  let lastWrittenAt = Number.NEGATIVE_INFINITY;
  let pending: string | undefined;
  return {
    update(status) {
      const line = plainLine(status, eta(status));
      if (line === lastLine) return;
      lastLine = line;
      if (now() - lastWrittenAt < plainIntervalMs) {
        pending = line;
        return;
      }
      pending = undefined;
      lastWrittenAt = now();
      stream.write(`${line}\n`);
    },
    finish() {
      if (pending) stream.write(`${pending}\n`);
      pending = undefined;
    },
  };
}

function createBar(
  stream: NodeJS.WriteStream,
  eta: (status: BatchStatus) => number | undefined,
): BatchProgressReporter {
  const bar = new SingleBar(
    {
      stream,
      format:
        '{bar} {value}/{total} done | {succeeded} ok · {failed} failed · {skipped} skipped · {running} running | est. {spend} | ETA {remaining}',
      hideCursor: true,
      fps: 5,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(status) {
      const done = status.succeeded + status.failed + status.skipped;
      const payload = {
        succeeded: status.succeeded,
        failed: status.failed,
        skipped: status.skipped,
        running: status.running,
        spend: `$${status.estimatedSpend.toFixed(2)}`,
        // Our own estimate from the completion rate (cli-progress's shows NULL/INF until it has
        // seen enough updates, and 0s before anything finished).
        remaining: done >= status.total ? '0s' : formatEta(eta(status)),
      };
      if (!started) {
        bar.start(status.total, done, payload);
        started = true;
        return;
      }
      bar.setTotal(status.total);
      bar.update(done, payload);
    },
    finish() {
      if (started) bar.stop();
    },
  };
}

export function plainLine(status: BatchStatus, etaSeconds: number | undefined): string {
  const done = status.succeeded + status.failed + status.skipped;
  const parts = [
    `batch ${status.batchId}: ${done}/${status.total} done`,
    `${status.succeeded} succeeded, ${status.failed} failed, ${status.skipped} skipped`,
    `${status.running} running, ${status.pending} pending`,
    `est. $${status.estimatedSpend.toFixed(2)}${status.maxCost !== undefined ? ` of $${status.maxCost.toFixed(2)}` : ''}`,
  ];
  if (status.stoppedByBudget) parts.push('budget reached');
  if (etaSeconds !== undefined && done < status.total)
    parts.push(`ETA ${formatSeconds(etaSeconds)}`);
  return printableText(parts.join(' · '));
}

/** Remaining time from the average completion rate since the first update. */
export function createEtaEstimator(now: () => number = Date.now) {
  let first: { at: number; done: number } | undefined;
  return (status: BatchStatus): number | undefined => {
    const done = status.succeeded + status.failed + status.skipped;
    const at = now();
    if (!first) {
      first = { at, done };
      return undefined;
    }
    const finishedSince = done - first.done;
    const elapsedSeconds = (at - first.at) / 1000;
    if (finishedSince <= 0 || elapsedSeconds <= 0) return undefined;
    return Math.round(((status.total - done) * elapsedSeconds) / finishedSince);
  };
}

function formatEta(seconds: number | undefined): string {
  return seconds === undefined ? '…' : formatSeconds(seconds);
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
