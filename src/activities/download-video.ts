import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Dispatcher } from 'undici';
import { DownloadFailureType } from '../contracts/download-failures.js';
import { assertFetchableUrl, redactUrl } from '../http/guarded-agent.js';
import { discardBody, guardedGet } from '../http/guarded-get.js';
import { headerValue } from '../http/headers.js';
import { StorageError, type VideoStorage } from '../storage/video-storage.js';
import {
  checkContentLength,
  numberHeader,
  parseContentRange,
  validatorOf,
} from './download/content-range.js';
import { classify, interrupted, statusFailure } from './download/failures.js';
import {
  type DownloadProgress,
  type HeartbeatPacer,
  readProgress,
  startHeartbeats,
} from './download/heartbeats.js';
import { Transfer } from './download/transfer.js';
import { cancelledByShutdown } from './worker-shutdown.js';

export { DownloadFailureType } from '../contracts/download-failures.js';
export type { DownloadProgress } from './download/heartbeats.js';

export const DEFAULT_MAX_VIDEO_BYTES = 2 * 1024 ** 3;
export const DEFAULT_HEARTBEAT_EVERY_BYTES = 8 * 1024 * 1024;

export interface DownloadVideoDependencies {
  storage: VideoStorage;
  dispatcher: Dispatcher;
  allowPrivateNetwork: boolean;
  maxBytes?: number;
  heartbeatEveryBytes?: number;
}

export interface DownloadVideoInput {
  url: string;
  /** Storage key; the partial file is derived from it, so retries find earlier progress. */
  key: string;
}

export interface DownloadedVideo {
  tempPath: string;
  sha256: string;
  bytes: number;
  sourceUrl: string;
}

/**
 * The activity of jobs started before `patched('store-in-download')`: stages the file on this
 * worker's disk for the `storeVideo` local activity. `deps` are shared by every call.
 */
export function createDownloadVideo(deps: DownloadVideoDependencies) {
  return async function downloadVideo(input: DownloadVideoInput): Promise<DownloadedVideo> {
    const context = Context.current();
    const { video, pacer } = await stageVideo(
      deps,
      input,
      context,
      readProgress(context.info.heartbeatDetails),
    );
    pacer.stop();
    return video;
  };
}

export interface StagedDownload {
  video: DownloadedVideo;
  /** Still beating (with `progress`), so the caller can keep the attempt alive while it commits. */
  pacer: HeartbeatPacer;
  progress: DownloadProgress;
}

/**
 * Fetches `input.url` into this worker's staging file for `input.key`, resuming from `resumeFrom`
 * when the file on disk still holds that prefix, and verifies it (MP4 signature, size, sha256,
 * fsync). On success the heartbeats keep running and the caller stops them; on failure they are
 * stopped and an ApplicationFailure says whether another attempt can help.
 */
export async function stageVideo(
  deps: DownloadVideoDependencies,
  input: DownloadVideoInput,
  context: Context,
  resumeFrom: DownloadProgress | undefined,
): Promise<StagedDownload> {
  const maxBytes = deps.maxBytes ?? DEFAULT_MAX_VIDEO_BYTES;
  const heartbeatEveryBytes = deps.heartbeatEveryBytes ?? DEFAULT_HEARTBEAT_EVERY_BYTES;
  const signal = context.cancellationSignal;
  const where = redactUrl(input.url);
  const tempPath = await stagingPath(deps, input, where);

  const progress: DownloadProgress = { offset: 0 };
  // Heartbeats start once the kept prefix is known: a beat of offset 0 while the prefix is
  // still being hashed would throw away the progress earlier attempts recorded.
  let pacer: HeartbeatPacer | undefined;
  const transfer = new Transfer(tempPath, maxBytes, where, () => pacer?.advanced());
  try {
    await transfer.open(resumeFrom, progress);
    pacer = startHeartbeats(context, progress, heartbeatEveryBytes);
    if (progress.offset > 0) {
      context.log.info('resuming download', { url: where, offset: progress.offset });
    }
    await fetchInto(transfer, input.url, deps, progress, signal);
    const result = await transfer.finish(progress);
    context.log.info('downloaded video', { url: where, bytes: result.bytes });
    const video = { tempPath, sha256: result.sha256, bytes: result.bytes, sourceUrl: input.url };
    return { video, pacer, progress };
  } catch (error) {
    await transfer.close();
    pacer?.stop();
    if (signal.aborted) {
      if (cancelledByShutdown(context)) {
        // The worker is stopping: the next attempt (on any worker) resumes from here.
        pacer?.beatNow();
      } else {
        // A cancelled job wants nothing more from this file.
        await rm(tempPath, { force: true });
      }
      throw error;
    }
    const failure = classify(error, where, progress.offset);
    if (failure.nonRetryable) {
      await rm(tempPath, { force: true });
    } else {
      // Record exactly how far the file is good so the next attempt resumes there.
      pacer?.beatNow();
    }
    throw failure;
  }
}

/** The staging file's path (its directory created); refuses a URL or key it must not use. */
async function stagingPath(
  deps: DownloadVideoDependencies,
  input: DownloadVideoInput,
  where: string,
): Promise<string> {
  try {
    assertFetchableUrl(input.url, deps.allowPrivateNetwork);
  } catch (error) {
    throw ApplicationFailure.create({
      type: DownloadFailureType.blockedUrl,
      message: `refusing to download ${where}: ${(error as Error).message}`,
      nonRetryable: true,
    });
  }
  let tempPath: string;
  try {
    tempPath = deps.storage.partialPath(input.key);
  } catch (error) {
    if (error instanceof StorageError) {
      throw ApplicationFailure.create({
        type: DownloadFailureType.invalidKey,
        message: error.message,
        nonRetryable: true,
      });
    }
    throw error;
  }
  await mkdir(dirname(tempPath), { recursive: true });
  return tempPath;
}

/** Requests the rest of the file and streams it into the transfer, restarting once from zero. */
async function fetchInto(
  transfer: Transfer,
  url: string,
  deps: DownloadVideoDependencies,
  progress: DownloadProgress,
  signal: AbortSignal,
): Promise<void> {
  for (let round = 0; ; round++) {
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (progress.offset > 0) {
      headers.range = `bytes=${progress.offset}-`;
      if (progress.validator) headers['if-range'] = progress.validator;
    }
    const { response } = await guardedGet(url, {
      dispatcher: deps.dispatcher,
      allowPrivateNetwork: deps.allowPrivateNetwork,
      headers,
      signal,
    });
    try {
      if (await consume(transfer, response, progress, round)) return;
    } catch (error) {
      // Whatever refused the response, the connection must not stay parked on an unread body.
      discardBody(response.body);
      throw error;
    }
  }
}

/** Handles one response; false when the transfer restarted and needs a plain request. */
async function consume(
  transfer: Transfer,
  response: Dispatcher.ResponseData,
  progress: DownloadProgress,
  round: number,
): Promise<boolean> {
  const { statusCode, body } = response;
  if (statusCode === 206 || statusCode === 416) {
    const range = parseContentRange(headerValue(response.headers['content-range']));
    const resumable =
      progress.offset > 0 &&
      range !== undefined &&
      sameFile(progress, range.total) &&
      (statusCode === 416
        ? range.total === progress.offset
        : range.start === progress.offset && range.end !== undefined);
    if (!resumable) {
      // A range we did not ask for (or nothing to resume): start over with a plain request.
      await body.dump().catch(() => undefined);
      if (round > 0) throw interrupted(`unexpected HTTP ${statusCode} for a plain request`);
      await transfer.restart(progress);
      return false;
    }
    if (statusCode === 416) {
      // Everything was already on disk; a crash just kept the last attempt from reporting it.
      await body.dump().catch(() => undefined);
      transfer.expectTotal(progress.offset);
      return true;
    }
    transfer.expectTotal(range?.total);
    if (range?.end !== undefined) {
      checkContentLength(response.headers, range.end - range.start + 1);
    }
  } else if (statusCode === 200) {
    // The server ignored Range (or If-Range said the file changed): the body is the whole file.
    if (progress.offset > 0) await transfer.restart(progress);
    transfer.expectTotal(numberHeader(response.headers['content-length']));
  } else {
    await body.dump().catch(() => undefined);
    throw statusFailure(statusCode, response.headers);
  }

  progress.validator = validatorOf(response.headers);
  progress.total = transfer.announcedTotal();
  await transfer.write(body, progress);
  return true;
}

/**
 * Whether a range answer continues the file whose prefix is on disk. `If-Range` settles it when
 * the server gave a validator; without one, the total length must be the one first announced
 * (a file replaced under the same URL would splice two videos). With neither known (a chunked
 * answer, a heartbeat from an older worker) the resume goes ahead: never resuming could lose a
 * large video to a connection that keeps dropping, and the finished file's MP4 check still
 * refuses most splices.
 */
function sameFile(progress: DownloadProgress, total: number | undefined): boolean {
  return progress.total === undefined || total === progress.total;
}
