import type { Context } from '@temporalio/activity';

const HEARTBEAT_INTERVAL_MS = 1000;

/**
 * What each heartbeat records. `offset` bytes of the partial file are written and trusted;
 * `validator` (a strong ETag or Last-Modified) lets a retry ask for the rest with `If-Range`,
 * so a result that changed in between is fetched whole instead of spliced; `total` is the
 * file's length as first announced, which a resumed range must match (a server without
 * validators may have replaced the file with another one).
 */
export interface DownloadProgress {
  offset: number;
  validator?: string;
  total?: number;
  /**
   * Set once the whole file is staged and verified, while it is being committed to storage: a
   * retry on the same host commits the staged file instead of fetching it again.
   */
  staged?: StagedVideo;
}

export interface StagedVideo {
  sha256: string;
  bytes: number;
}

export interface HeartbeatPacer {
  /** Called after bytes were written; beats when enough bytes or time have passed. */
  advanced(): void;
  beatNow(): void;
  /** Beats at once for a file of `bytes` worth a heartbeat (a billable action): `everyBytes` or more. */
  beatNowIfWorth(bytes: number): void;
  stop(): void;
}

/**
 * Heartbeats every `everyBytes` or about once a second, whichever comes first. The timer also
 * beats while no bytes arrive (waiting for headers, a stalled body), because cancellation only
 * reaches an activity through heartbeats. The first beat waits as well: each is a billable
 * action, and the progress at the start is what the attempt was given (a crash before the
 * first beat resumes from there).
 */
export function startHeartbeats(
  context: Context,
  progress: DownloadProgress,
  everyBytes: number,
): HeartbeatPacer {
  let lastOffset = progress.offset;
  let lastAt = Date.now();
  const beatNow = () => {
    lastOffset = progress.offset;
    lastAt = Date.now();
    context.heartbeat({
      offset: progress.offset,
      ...(progress.validator ? { validator: progress.validator } : {}),
      ...(progress.total !== undefined ? { total: progress.total } : {}),
      ...(progress.staged ? { staged: progress.staged } : {}),
    });
  };
  const timer = setInterval(() => {
    if (Date.now() - lastAt >= HEARTBEAT_INTERVAL_MS) beatNow();
  }, HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return {
    advanced() {
      if (
        progress.offset - lastOffset >= everyBytes ||
        Date.now() - lastAt >= HEARTBEAT_INTERVAL_MS
      ) {
        beatNow();
      }
    },
    beatNow,
    beatNowIfWorth(bytes) {
      if (bytes >= everyBytes) beatNow();
    },
    stop: () => clearInterval(timer),
  };
}

export function readProgress(details: unknown): DownloadProgress | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const { offset, validator, total, staged } = details as {
    offset?: unknown;
    validator?: unknown;
    total?: unknown;
    staged?: unknown;
  };
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  const stagedVideo = readStaged(staged);
  return {
    offset,
    ...(typeof validator === 'string' ? { validator } : {}),
    ...(typeof total === 'number' && Number.isSafeInteger(total) && total >= 0 ? { total } : {}),
    ...(stagedVideo ? { staged: stagedVideo } : {}),
  };
}

function readStaged(details: unknown): StagedVideo | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const { sha256, bytes } = details as { sha256?: unknown; bytes?: unknown };
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) return undefined;
  return { sha256, bytes };
}
