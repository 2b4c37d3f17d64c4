import type { Context } from '@temporalio/activity';

const HEARTBEAT_INTERVAL_MS = 1000;

/**
 * What each heartbeat records. `offset` bytes of the partial file are written and trusted;
 * `validator` (a strong ETag or Last-Modified) lets a retry ask for the rest with `If-Range`,
 * so a result that changed in between is fetched whole instead of spliced.
 */
export interface DownloadProgress {
  offset: number;
  validator?: string;
}

export interface HeartbeatPacer {
  /** Called after bytes were written; beats when enough bytes or time have passed. */
  advanced(): void;
  beatNow(): void;
  stop(): void;
}

/**
 * Heartbeats every `everyBytes` or about once a second, whichever comes first. The timer also
 * beats while no bytes arrive (waiting for headers, a stalled body), because cancellation only
 * reaches an activity through heartbeats.
 */
export function startHeartbeats(
  context: Context,
  progress: DownloadProgress,
  everyBytes: number,
): HeartbeatPacer {
  let lastOffset = -1;
  let lastAt = 0;
  const beatNow = () => {
    lastOffset = progress.offset;
    lastAt = Date.now();
    context.heartbeat(
      progress.validator
        ? { offset: progress.offset, validator: progress.validator }
        : { offset: progress.offset },
    );
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
    stop: () => clearInterval(timer),
  };
}

export function readProgress(details: unknown): DownloadProgress | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const { offset, validator } = details as { offset?: unknown; validator?: unknown };
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  return typeof validator === 'string' ? { offset, validator } : { offset };
}
