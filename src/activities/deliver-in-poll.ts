import type { Context } from '@temporalio/activity';
import type { PollDelivery, StoredVideoRecord } from '../contracts/generation.js';
import type { DownloadVideoDependencies } from './download-video.js';
import { downloadToStorage } from './download-video-to-storage.js';

/**
 * A poll delivers the video itself only while its window (its schedule-to-close: the job's
 * deadline) still holds a whole download's time limit, the download activity's start-to-close.
 * That activity is not bound by the window, so a paid video found done near the deadline is
 * still fetched, however slowly.
 */
export const MIN_DELIVERY_WINDOW_MS = 30 * 60_000;

/** How often a delivering poll beats while its status call is in flight (its heartbeat timeout is 10 s). */
const KEEP_ALIVE_EVERY_MS = 2_000;

/**
 * `job-v6`: the poll that finds a task done with one video fetches, verifies and stores it in
 * the same attempt, so a polled job needs one workflow task and one activity less. An attempt
 * killed mid-download is retried like any poll, and resumes from the offset it heartbeated.
 *
 * Undefined leaves the delivery to the workflow's download activity (several videos, little
 * time left, or a download that failed: that activity's retry policy and failure handling
 * take over). Cancellation, by the job or by a stopping worker, is rethrown.
 */
export async function deliverInPoll(
  deps: DownloadVideoDependencies | undefined,
  delivery: PollDelivery | undefined,
  videos: { url: string }[],
  context: Context,
): Promise<StoredVideoRecord | undefined> {
  const [video] = videos;
  if (!deps || !delivery || !video || videos.length !== 1) return undefined;
  const { scheduledTimestampMs, scheduleToCloseTimeoutMs } = context.info;
  const windowLeftMs = scheduledTimestampMs + scheduleToCloseTimeoutMs - Date.now();
  if (scheduleToCloseTimeoutMs > 0 && windowLeftMs < MIN_DELIVERY_WINDOW_MS) return undefined;
  try {
    return await downloadToStorage(
      deps,
      { url: video.url, key: delivery.key, sidecar: delivery.sidecar },
      context,
    );
  } catch (error) {
    if (context.cancellationSignal.aborted) throw error;
    context.log.warn('delivering from the poll failed; the download activity takes over', {
      key: delivery.key,
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

/**
 * A delivering poll has a heartbeat timeout (for its download), so a slow status call beats too:
 * with what the earlier attempts recorded, so a download's progress survives it. The first beat
 * waits, as each is a billable action and most status calls take milliseconds.
 */
export function keepPollAlive(context: Context): () => void {
  const details: unknown = context.info.heartbeatDetails;
  const timer = setInterval(() => context.heartbeat(details), KEEP_ALIVE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
