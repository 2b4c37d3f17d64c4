import type { GenerationStatus, WaitingForWorker } from '../contracts/generation.js';
import type { NotificationRecord } from '../contracts/notification.js';
import { printableText } from './terminal-text.js';

/** Progress and notes go to stderr; stdout carries only results (ids, JSON), so it can be piped. */
export function note(message: string): void {
  process.stderr.write(`klingflow: ${printableText(message)}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Human-readable output on stdout; third-party text in it is made safe for a terminal. */
export function printText(text: string): void {
  process.stdout.write(`${printableText(text)}\n`);
}

/** The contract's JSON fields (progress extras included: they only add). */
export function statusJson(status: GenerationStatus): GenerationStatus {
  return status;
}

/** A job for a human: provider-supplied text (errors, warnings) has its control characters removed. */
export function summarise(status: GenerationStatus & { videos: { url?: string }[] }): string {
  // A running job says where it is and for how long; the attempt under way is the provider line.
  const progress =
    status.status === 'running'
      ? ` (${status.phase}, ${Math.round(status.elapsedMs / 1000)}s)`
      : '';
  const lines = [`${status.workflowId}: ${status.status}${progress}`];
  if (status.provider)
    lines.push(
      `  provider: ${status.provider}${status.providerTaskId ? ` (task ${status.providerTaskId})` : ''}`,
    );
  lines.push(`  model: ${status.model} ${status.mode}`);
  if (status.estimatedCost)
    lines.push(`  estimated cost: ${status.estimatedCost.amount} ${status.estimatedCost.unit}`);
  for (const video of status.videos) {
    lines.push(`  video: ${video.path} (${video.bytes} bytes, sha256 ${video.sha256})`);
    // A presigned URL (`--presign`) is what a user came for when the path is s3://.
    if (video.url) lines.push(`    url: ${video.url}`);
  }
  for (const attempt of status.attempts) {
    if (attempt.outcome === 'succeeded' || attempt.outcome === 'running') continue;
    lines.push(
      `  ${attempt.outcome} ${attempt.provider}${attempt.errorKind ? ` [${attempt.errorKind}]` : ''}${attempt.error ? `: ${attempt.error}` : ''}`,
    );
  }
  if (status.error && status.status !== 'succeeded') lines.push(`  error: ${status.error}`);
  if (status.waitingForSlot) {
    const { provider, limit } = status.waitingForSlot;
    lines.push(
      `  waiting for a ${provider} slot: ${limit} in flight is its limit (KLINGFLOW_PROVIDER_CONCURRENCY); nothing is submitted yet`,
    );
  }
  if (status.waitingForWorker) {
    lines.push(
      `  ${waitingForWorker(status.waitingForWorker)}; attempts and spend show once one answers`,
    );
  }
  if (status.retrying) {
    const { activity, failedAttempts, error, nextAttemptAt } = status.retrying;
    lines.push(
      `  retrying: ${activity} after ${attemptCount(failedAttempts)} failed${nextAttemptAt ? ` (next at ${nextAttemptAt})` : ''}: ${error}`,
    );
  }
  if (status.notification) lines.push(notificationLine(status.notification));
  for (const warning of status.warnings) lines.push(`  warning: ${warning}`);
  return printableText(lines.join('\n'));
}

/** Work no worker answers for: where it waits, and what usually fixes it. */
export function waitingForWorker(waiting: WaitingForWorker): string {
  const queue = JSON.stringify(waiting.taskQueue);
  return waiting.workersPolling
    ? `waiting for a worker: workers poll task queue ${queue} but none answered within Temporal's query timeout (overloaded, stopping, or failing this workflow's tasks: see their logs)`
    : `waiting for a worker: none is polling task queue ${queue} (start \`klingflow worker\` with KLINGFLOW_TASK_QUEUE=${waiting.taskQueue}, or check that the workers are up)`;
}

/** What became of a job's or batch's completion notification, for the human summaries. */
export function notificationLine(notification: NotificationRecord): string {
  const attempts = attemptCount(notification.attempts);
  return notification.state === 'delivered'
    ? `  notification: delivered to ${notification.url} (${attempts})`
    : `  notification: failed after ${attempts} to ${notification.url}: ${notification.lastError ?? ''}`;
}

function attemptCount(attempts: number): string {
  return attempts === 1 ? '1 attempt' : `${attempts} attempts`;
}
