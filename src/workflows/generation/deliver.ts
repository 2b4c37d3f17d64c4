import {
  ActivityFailure,
  type ActivityOptions,
  ApplicationFailure,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { MAYBE_EXPIRED_URL_FAILURES } from '../../contracts/download-failures.js';
import type {
  AttemptRecord,
  PollDelivery,
  RouteEntry,
  StoredVideoRecord,
} from '../../contracts/generation.js';
import { videoStorageKey } from '../../storage/storage-key.js';
import type { StoredVideo } from '../../storage/video-storage.js';
import { failJob, failureMessage } from './failures.js';
import { type Job, rememberDownloadKey, setPhase } from './job.js';
import { settleAttempt } from './ledger.js';
import { providerActivities } from './provider-activities.js';

const DOWNLOAD_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  // The download beats about every second (download/heartbeats.ts), also while stalled or
  // committing: a killed worker's download resumes elsewhere after 10 s, not half a minute.
  heartbeatTimeout: '10 seconds',
  // The video is paid for by now: a CDN or bucket outage of half an hour (retries a minute apart
  // after the first few) must not lose it. Attempts count only while a worker runs them, so a
  // fleet that is down meanwhile uses none up.
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 40,
  },
};

const { downloadVideo, downloadVideoToStorage } = proxyActivities<Activities>(DOWNLOAD_OPTIONS);

const { storeVideo } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

/**
 * Downloads, verifies and stores every video of a finished task, with the job's sidecar; a video
 * the poll already delivered (`job-v6`) is only recorded.
 */
export async function deliverVideos(
  job: Job,
  entry: RouteEntry,
  record: AttemptRecord,
  videos: { url: string }[],
  storedByPoll?: StoredVideoRecord,
): Promise<void> {
  if (storedByPoll) {
    job.status.videos.push(storedByPoll);
    return;
  }
  setPhase(job, 'downloading');
  // One activity on one host: a separate store step could run where the file was not staged
  // (several worker hosts with S3 storage; a local activity re-runs on any worker).
  const inOneActivity = job.version >= 3 || patched('store-in-download');
  for (const [index, video] of videos.entries()) {
    const key = storageKey(job, index, videos.length);
    rememberDownloadKey(job, key);
    const download = (url: string) =>
      downloadVideoToStorage({ url, key, sidecar: sidecar(job, entry) });
    const stored = inOneActivity
      ? await download(video.url).catch(async (error: unknown) => {
          const fresh = await freshResultUrl(job, error, index);
          // A storage failure (a conflicting video under the key) also ends the job here.
          if (fresh === undefined) return downloadFailed(job, entry, record, error);
          return download(fresh).catch((again: unknown) =>
            downloadFailed(job, entry, record, again),
          );
        })
      : await downloadThenStore(job, entry, record, video.url, key);
    job.status.videos.push(stored);
  }
}

/**
 * A result URL refused as gone or forbidden, or answered with a page in place of the MP4, may
 * only have expired (a signed CDN link, old by the time a worker came back to it), while the
 * provider still holds the paid video. One status call
 * asks for the task's URLs again, and the download is tried once more with the one it gives.
 * Undefined for any other failure, a task that no longer shows the video, or a job whose history
 * reached this failure before it existed (`refresh-result-url`: such a job failed here).
 */
async function freshResultUrl(
  job: Job,
  error: unknown,
  index: number,
): Promise<string | undefined> {
  const watched = job.watched;
  const type =
    error instanceof ActivityFailure && error.cause instanceof ApplicationFailure
      ? error.cause.type
      : undefined;
  if (!watched || !type || !MAYBE_EXPIRED_URL_FAILURES.includes(type)) return undefined;
  if (!patched('refresh-result-url')) return undefined;
  const { checkTask } = providerActivities(watched.handle.provider);
  try {
    const { status } = await checkTask({ handle: watched.handle, untilDone: false });
    return status.state === 'succeeded' ? status.videos[index]?.url : undefined;
  } catch (failure) {
    if (isCancellation(failure)) throw failure;
    return undefined;
  }
}

/** Jobs that reached delivery before `store-in-download`: the event order they recorded. */
async function downloadThenStore(
  job: Job,
  entry: RouteEntry,
  record: AttemptRecord,
  url: string,
  key: string,
): Promise<StoredVideo> {
  const downloaded = await downloadVideo({ url, key }).catch((error: unknown) =>
    downloadFailed(job, entry, record, error),
  );
  setPhase(job, 'storing');
  const stored = await storeVideo({
    ...downloaded,
    key,
    sidecar: { ...sidecar(job, entry), finishedAt: new Date(Date.now()).toISOString() },
  });
  setPhase(job, 'downloading');
  return stored;
}

/** Cancellation passes through; anything else ends the job failed, nothing re-sent. */
function downloadFailed(
  job: Job,
  entry: RouteEntry,
  record: AttemptRecord,
  error: unknown,
): Promise<never> {
  if (isCancellation(error)) throw error;
  record.outcome = 'failed';
  record.errorKind = 'download-failed';
  record.error = failureMessage(error);
  return failJob(job, `download from ${entry.provider} failed: ${record.error}`);
}

/**
 * What a poll needs to deliver a finished task's one video itself (`job-v6`): its key and the
 * sidecar as it will be then, with the attempt's task delivered.
 */
export function pollDelivery(job: Job, entry: RouteEntry, attempt: number): PollDelivery {
  const key = storageKey(job, 0, 1);
  const spend = { ...job.status.spend, tasks: job.status.spend.tasks.map((task) => ({ ...task })) };
  settleAttempt(spend, attempt, 'delivered');
  return { key, sidecar: { ...sidecar(job, entry), spend } };
}

/**
 * What the sidecar says about the job. The store-in-download activity adds the finish time when
 * it commits (the workflow's clock would give the time the download started).
 */
function sidecar(job: Job, entry: RouteEntry): Record<string, unknown> {
  return {
    workflowId: job.workflowId,
    request: job.input.request,
    provider: entry.provider,
    providerTaskId: job.status.providerTaskId,
    estimatedCost: entry.price,
    attempts: job.status.attempts,
    ...(job.version >= 2 ? { spend: job.status.spend } : {}),
    batchId: job.input.batchId,
    startedAt: job.status.startedAt,
  };
}

/**
 * The key this job's video is stored under (a task has one video; the rare task with several
 * stores them as `<key>_v<n>`, not checked beforehand: one storage call per job is enough).
 */
export function jobStorageKeys(job: Job): string[] {
  return [storageKey(job, 0, 1)];
}

/**
 * The collision-free key shared with storage. Jobs started before it keep the key they began
 * downloading under (a resumed download must find its partial file).
 */
function storageKey(job: Job, index: number, count: number): string {
  if (job.version >= 2) return videoStorageKey(job.workflowId, index, count);
  const legacy = job.workflowId.replace(/[^A-Za-z0-9._-]/g, '_');
  return count > 1 ? `${legacy}-${index + 1}` : legacy;
}
