import { patched } from '@temporalio/workflow';
import { sendNotification } from '../notification.js';
import { type Job, snapshot } from './job.js';

/**
 * A job that was given a `notifyUrl` POSTs its final status there once it has ended
 * (succeeded, failed or cancelled), and records the outcome as `notification` in its status.
 * Behind `patched('completion-notify')`, asked only when there is a URL: jobs recorded before
 * (which never have one) replay unchanged.
 */
export async function notifyJobEnd(job: Job): Promise<void> {
  const url = job.input.notifyUrl;
  if (!url || !(job.version >= 3 || patched('completion-notify'))) return;
  job.status.notification = await sendNotification({ ...job.input, notifyUrl: url }, snapshot(job));
}
