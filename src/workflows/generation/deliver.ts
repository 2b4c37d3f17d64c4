import { isCancellation, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { videoStorageKey } from '../../storage/storage-key.js';
import type { AttemptRecord, RouteEntry } from '../generation-types.js';
import { failJob, failureMessage } from './failures.js';
import { type Job, setPhase } from './job.js';

const { downloadVideo } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
  },
});

const { storeVideo } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

/** Downloads, verifies and stores every video of a finished task, with the job's sidecar. */
export async function deliverVideos(
  job: Job,
  entry: RouteEntry,
  record: AttemptRecord,
  videos: { url: string }[],
): Promise<void> {
  setPhase(job, 'downloading');
  for (const [index, video] of videos.entries()) {
    const key = storageKey(job, index, videos.length);
    job.downloadKeys.push(key);
    let downloaded: Awaited<ReturnType<Activities['downloadVideo']>>;
    try {
      downloaded = await downloadVideo({ url: video.url, key });
    } catch (error) {
      if (isCancellation(error)) throw error;
      record.outcome = 'failed';
      record.errorKind = 'download-failed';
      record.error = failureMessage(error);
      return failJob(job, `download from ${entry.provider} failed: ${record.error}`);
    }
    setPhase(job, 'storing');
    const stored = await storeVideo({
      ...downloaded,
      key,
      sidecar: {
        workflowId: job.workflowId,
        request: job.input.request,
        provider: entry.provider,
        providerTaskId: job.status.providerTaskId,
        estimatedCost: entry.price,
        attempts: job.status.attempts,
        ...(job.v2 ? { spend: job.status.spend } : {}),
        batchId: job.input.batchId,
        startedAt: job.status.startedAt,
        finishedAt: new Date(Date.now()).toISOString(),
      },
    });
    job.status.videos.push(stored);
    setPhase(job, 'downloading');
  }
}

/**
 * The collision-free key shared with storage. Jobs started before it keep the key they began
 * downloading under (a resumed download must find its partial file).
 */
function storageKey(job: Job, index: number, count: number): string {
  if (job.v2) return videoStorageKey(job.workflowId, index, count);
  const legacy = job.workflowId.replace(/[^A-Za-z0-9._-]/g, '_');
  return count > 1 ? `${legacy}-${index + 1}` : legacy;
}
