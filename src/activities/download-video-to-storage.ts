import { rm } from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MAYBE_EXPIRED_URL_FAILURES } from '../contracts/download-failures.js';
import { StorageError, type StoredVideo } from '../storage/video-storage.js';
import { interrupted } from './download/failures.js';
import {
  type DownloadProgress,
  readProgress,
  type StagedVideo,
  startHeartbeats,
} from './download/heartbeats.js';
import {
  type DownloadVideoDependencies,
  type DownloadVideoInput,
  stageVideo,
} from './download-video.js';
import { commitStagedVideo, storeFailure } from './store-video.js';

export interface DownloadVideoToStorageInput extends DownloadVideoInput {
  /** Caller metadata for the sidecar (workflow id, provider, request, attempts…). */
  sidecar: Record<string, unknown>;
}

/**
 * Download, verification and commit in one activity attempt, so on one host: the staging file
 * never has to be found by a later step that may run on another worker (with S3 storage the
 * worker hosts share no disk). An attempt that dies mid-transfer resumes on the same host from
 * its heartbeated offset and starts over on another; one that dies mid-commit leaves no visible
 * object (the S3 commit completes its multipart upload only after verifying it, and aborts the
 * stale uploads of the key first), and the next attempt on the same host commits the staged
 * file it recorded instead of fetching it again.
 */
export function createDownloadVideoToStorage(deps: DownloadVideoDependencies) {
  return async function downloadVideoToStorage(
    input: DownloadVideoToStorageInput,
  ): Promise<StoredVideo> {
    return downloadToStorage(deps, input, Context.current());
  };
}

/**
 * The attempt's work, also done by a poll that finds its task done (`job-v6`, deliver-in-poll.ts):
 * resumes from the attempt's heartbeat details, which the poll's earlier attempts recorded.
 */
export async function downloadToStorage(
  deps: DownloadVideoDependencies,
  input: DownloadVideoToStorageInput,
  context: Context,
): Promise<StoredVideo> {
  const resumeFrom = readProgress(context.info.heartbeatDetails);
  if (resumeFrom?.staged) {
    // Heartbeats keep recording the staged file while it is committed again.
    const pacer = startHeartbeats(context, { ...resumeFrom }, Number.POSITIVE_INFINITY);
    try {
      const stored = await commitEarlierStaging(deps, input, resumeFrom.staged);
      if (stored) return stored;
    } finally {
      pacer.stop();
    }
  }
  let staging: Awaited<ReturnType<typeof stageVideo>>;
  try {
    staging = await stageVideo(deps, input, context, {
      ...resumeFrom,
      offset: resumeFrom?.staged ? 0 : (resumeFrom?.offset ?? 0),
    } satisfies DownloadProgress);
  } catch (error) {
    const committed = await committedByEarlierAttempt(deps, input, error);
    if (committed) return committed;
    throw error;
  }
  const { video, pacer, progress } = staging;
  try {
    // A crash from here on leaves a complete, verified file: say so, so a retry commits it.
    // Said at once only for a file worth more than a heartbeat (a billable action): a retry
    // fetches a smaller one again, unless the commit took the pacer's second to record it.
    progress.staged = { sha256: video.sha256, bytes: video.bytes };
    pacer.beatNowIfWorth(video.bytes);
    return await commitStagedVideo(deps.storage, {
      ...video,
      key: input.key,
      sidecar: finished(input.sidecar),
    });
  } catch (error) {
    if (isStagingLost(error)) {
      // The file changed or vanished under us after it verified: fetch it again next attempt.
      await rm(video.tempPath, { force: true });
      progress.offset = 0;
      progress.staged = undefined;
      pacer.beatNow();
      throw interrupted(
        `the staged download changed before it was stored: ${(error as Error).message}`,
      );
    }
    // The storage refused (a bucket down, a disk full): the verified file stays staged, and the
    // next attempt on this host commits it instead of fetching it again, which may no longer be
    // possible (a signed URL expiring during the outage). A small file has not said so yet.
    pacer.beatNow();
    throw storeFailure(error);
  } finally {
    pacer.stop();
  }
}

/**
 * The previous attempt staged and verified the whole file, then died while committing. On the
 * same host the staged file is still there and the commit finishes it (storage verifies its
 * sha256 again); elsewhere, or if it changed, undefined sends this attempt back to downloading.
 */
async function commitEarlierStaging(
  deps: DownloadVideoDependencies,
  input: DownloadVideoToStorageInput,
  staged: StagedVideo,
): Promise<StoredVideo | undefined> {
  let tempPath: string | undefined;
  try {
    tempPath = deps.storage.partialPath(input.key);
    return await commitStagedVideo(deps.storage, {
      tempPath,
      key: input.key,
      sha256: staged.sha256,
      bytes: staged.bytes,
      sourceUrl: input.url,
      sidecar: finished(input.sidecar),
    });
  } catch (error) {
    if (!isStagingLost(error)) throw storeFailure(error);
    Context.current().log.info('staged download not usable here; downloading again', {
      key: input.key,
    });
    if (tempPath) await rm(tempPath, { force: true });
    return undefined;
  }
}

/**
 * An earlier attempt (or the poll that found the task done) committed this video, then died
 * before reporting back, and the result URL no longer answers (a signed link expired, outputs
 * purged): the paid video is already stored under the job's key, so the commit finishes with it
 * (its sidecar written if missing). Only this job writes its key: route planning refuses a job
 * whose key is taken before anything is submitted.
 */
async function committedByEarlierAttempt(
  deps: DownloadVideoDependencies,
  input: DownloadVideoToStorageInput,
  error: unknown,
): Promise<StoredVideo | undefined> {
  if (
    !(error instanceof ApplicationFailure) ||
    !MAYBE_EXPIRED_URL_FAILURES.includes(error.type ?? '')
  )
    return undefined;
  const stored = await deps.storage.storedVideoDigest(input.key);
  if (!stored || !ofThisTask(stored.sidecar, input.sidecar)) return undefined;
  Context.current().log.info('the result URL no longer answers; the video was stored earlier', {
    key: input.key,
  });
  return commitStagedVideo(deps.storage, {
    tempPath: deps.storage.partialPath(input.key),
    key: input.key,
    sha256: stored.sha256,
    bytes: stored.bytes,
    sourceUrl: input.url,
    sidecar: finished(input.sidecar),
  }).catch((failure: unknown) => {
    throw storeFailure(failure);
  });
}

/**
 * A video with a sidecar was committed whole by some run: it is this task's only if the sidecar
 * names this job and task (a re-run of the same id keeps an earlier run's videos under its
 * keys). Without one, its commit stopped after placing it, which only this job's run can do.
 */
function ofThisTask(
  stored: Record<string, unknown> | undefined,
  ours: Record<string, unknown>,
): boolean {
  if (!stored) return true;
  return stored.workflowId === ours.workflowId && stored.providerTaskId === ours.providerTaskId;
}

function isStagingLost(error: unknown): boolean {
  return (
    error instanceof StorageError &&
    (error.kind === 'missing-temp' || error.kind === 'checksum-mismatch')
  );
}

/** The job finishes when its video is stored: the workflow leaves the time to this commit. */
function finished(sidecar: Record<string, unknown>): Record<string, unknown> {
  return { ...sidecar, finishedAt: sidecar.finishedAt ?? new Date().toISOString() };
}
