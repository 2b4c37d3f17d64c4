import { patched } from '@temporalio/workflow';
import type { BatchStatus } from '../../contracts/batch.js';
import { sendNotification } from '../notification.js';
import type { BatchRun } from './batch-run.js';

/**
 * A batch given a `notifyUrl` POSTs its final status there once the whole batch has ended
 * (completed or cancelled), and keeps the outcome for its result and status query. Behind
 * `batch-v2` or, in batches recorded before it, `patched('completion-notify')` (asked only when
 * there is a URL), so those replay unchanged. Items' own `notifyUrl`s are their jobs' business.
 */
export async function notifyBatchEnd(run: BatchRun, status: BatchStatus): Promise<void> {
  const url = run.input.notifyUrl;
  if (!url || !(run.v2 || patched('completion-notify'))) return;
  run.notification = await sendNotification({ ...run.input, notifyUrl: url }, status);
}
