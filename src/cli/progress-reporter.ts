import type { GenerationStatus } from '../contracts/generation.js';
import { printableText } from './terminal-text.js';

/**
 * Shows a running generation's phase, provider, elapsed time and polls. On a terminal one line
 * is redrawn in place; elsewhere (CI, pipes, logs) a plain line is printed when something changes.
 */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr) {
  let lastPlain = '';
  const interactive = stream.isTTY === true;
  return {
    update(status: GenerationStatus): void {
      const elapsed = `${Math.round(status.elapsedMs / 1000)}s`;
      const provider = status.provider ?? '-';
      const waiting = status.waitingForWorker
        ? ` · waiting for a worker on task queue ${JSON.stringify(status.waitingForWorker.taskQueue)}${status.waitingForWorker.workersPolling ? ' (none answered)' : ' (none polls it)'}`
        : '';
      const slot = status.waitingForSlot
        ? ` · waiting for a ${status.waitingForSlot.provider} slot (limit ${status.waitingForSlot.limit})`
        : '';
      const retrying = status.retrying
        ? ` · retrying ${status.retrying.activity} (${status.retrying.failedAttempts} failed: ${status.retrying.error})`
        : '';
      const line = printableText(
        `${status.workflowId} ${status.status} · ${status.phase} · ${provider} · ${elapsed} · ${status.polls} polls${slot}${waiting}${retrying}`,
      );
      if (interactive) {
        stream.write(`\r\x1b[2K${line}`);
        return;
      }
      const plain = `${status.status} ${status.phase} ${provider} polls=${status.polls}${slot}${waiting}${retrying}`;
      if (plain !== lastPlain) {
        lastPlain = plain;
        stream.write(`${line}\n`);
      }
    },
    finish(): void {
      if (interactive) stream.write('\n');
    },
  };
}
