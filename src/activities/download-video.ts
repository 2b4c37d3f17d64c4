import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Dispatcher } from 'undici';
import { assertFetchableUrl, findBlockedAddressError, redactUrl } from '../http/guarded-agent.js';
import { discardBody, guardedGet } from '../http/guarded-get.js';
import { parseRetryAfter } from '../http/retry-after.js';
import { StorageError, type VideoStorage } from '../storage/video-storage.js';
import { cancelledByShutdown } from './worker-shutdown.js';

export const DEFAULT_MAX_VIDEO_BYTES = 2 * 1024 ** 3;
export const DEFAULT_HEARTBEAT_EVERY_BYTES = 8 * 1024 * 1024;
const HEARTBEAT_INTERVAL_MS = 1000;
const WRITE_BATCH_BYTES = 1024 * 1024;

function isAbort(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? '';
  return name === 'AbortError' || name.includes('Cancel');
}

/** Writes every buffer at `position`, continuing after short writes. */
async function writeAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let pending = buffers;
  let offset = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, offset);
    offset += bytesWritten;
    let skipped = bytesWritten;
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (skipped >= buffer.byteLength) {
        skipped -= buffer.byteLength;
        continue;
      }
      rest.push(skipped > 0 ? buffer.subarray(skipped) : buffer);
      skipped = 0;
    }
    pending = rest;
  }
}

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
 * What each heartbeat records. `offset` bytes of the partial file are written and trusted;
 * `validator` (a strong ETag or Last-Modified) lets a retry ask for the rest with `If-Range`,
 * so a result that changed in between is fetched whole instead of spliced.
 */
export interface DownloadProgress {
  offset: number;
  validator?: string;
}

/** ApplicationFailure types this activity throws; the workflow branches on them. */
export const DownloadFailureType = {
  /** 404/410: the provider no longer has the file (signed URL expired, result purged). */
  resultGone: 'ResultGone',
  /** Other 4xx that retrying will not change. */
  refused: 'DownloadRefused',
  /** Non-http(s) URL or a private/loopback address while that is not allowed. */
  blockedUrl: 'BlockedUrl',
  notMp4: 'NotMp4',
  tooLarge: 'DownloadTooLarge',
  invalidKey: 'InvalidStorageKey',
  /** Retryable: 5xx, 429, network errors, a body shorter than announced. */
  interrupted: 'DownloadInterrupted',
} as const;

/** The activity; `deps` are shared by every call on this worker. */
export function createDownloadVideo(deps: DownloadVideoDependencies) {
  const maxBytes = deps.maxBytes ?? DEFAULT_MAX_VIDEO_BYTES;
  const heartbeatEveryBytes = deps.heartbeatEveryBytes ?? DEFAULT_HEARTBEAT_EVERY_BYTES;

  return async function downloadVideo(input: DownloadVideoInput): Promise<DownloadedVideo> {
    const context = Context.current();
    const signal = context.cancellationSignal;
    const where = redactUrl(input.url);

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

    const resumeFrom = readProgress(context.info.heartbeatDetails);
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
      const result = await transfer.finish();
      context.log.info('downloaded video', { url: where, bytes: result.bytes });
      return { tempPath, sha256: result.sha256, bytes: result.bytes, sourceUrl: input.url };
    } catch (error) {
      await transfer.close();
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
    } finally {
      pacer?.stop();
    }
  };
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
  await transfer.write(body, progress);
  return true;
}

/** The partial file, its running hash, and the checks that run as bytes arrive. */
class Transfer {
  private handle: FileHandle | undefined;
  private hash: Hash = createHash('sha256');
  private head = Buffer.alloc(0);
  private expectedTotal: number | undefined;
  private written = 0;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly where: string,
    private readonly onProgress: () => void,
  ) {}

  /** Opens the partial file, keeping the prefix the last heartbeat vouched for. */
  async open(resumeFrom: DownloadProgress | undefined, progress: DownloadProgress): Promise<void> {
    const onDisk = resumeFrom && resumeFrom.offset > 0 ? await sizeOrZero(this.path) : 0;
    const offset = Math.min(resumeFrom?.offset ?? 0, onDisk);
    this.handle = await open(this.path, offset > 0 ? 'r+' : 'w');
    if (offset > 0) {
      // Bytes past the last heartbeat may be torn; only the vouched prefix is kept.
      await this.handle.truncate(offset);
      for await (const chunk of createReadStream(this.path, { start: 0, end: offset - 1 })) {
        this.absorb(chunk as Buffer);
      }
      this.written = offset;
      progress.offset = offset;
      progress.validator = resumeFrom?.validator;
      // Only this activity writes the file, so a foreign prefix means it was damaged: start over.
      if (this.head.length === 8 && !isMp4Head(this.head)) await this.restart(progress);
    }
  }

  async restart(progress: DownloadProgress): Promise<void> {
    await this.handle?.truncate(0);
    this.hash = createHash('sha256');
    this.head = Buffer.alloc(0);
    this.written = 0;
    this.expectedTotal = undefined;
    progress.offset = 0;
    progress.validator = undefined;
  }

  expectTotal(total: number | undefined): void {
    if (total === undefined) return;
    if (total > this.maxBytes) {
      throw tooLarge(`${this.where} is ${total} bytes`, this.maxBytes);
    }
    this.expectedTotal = total;
  }

  /**
   * Chunks are gathered into batches of about 1 MiB, each written with one `writev` (a
   * thread-pool round trip per 64 KiB chunk made downloads several times slower than curl).
   * One batch is written while the next is hashed and read, so disk and CPU overlap and memory
   * stays at about two batches. `written` (and the heartbeat offset) count only completed writes.
   */
  async write(body: AsyncIterable<unknown>, progress: DownloadProgress): Promise<void> {
    const handle = this.requireHandle();
    let batch: Buffer[] = [];
    let batchBytes = 0;
    /** Where the next batch goes: `written` plus the batch being written. */
    let nextPosition = this.written;
    let inFlight: Promise<void> | undefined;
    let signatureChecked = this.written > 0;
    const flush = async () => {
      if (batchBytes === 0) return;
      const buffers = batch;
      const bytes = batchBytes;
      const position = nextPosition;
      batch = [];
      batchBytes = 0;
      nextPosition += bytes;
      await inFlight;
      inFlight = writeAll(handle, buffers, position).then(() => {
        this.written = position + bytes;
        progress.offset = this.written;
        this.onProgress();
      });
      // Observed now and rethrown by the next await: a failed write must not go unhandled.
      inFlight.catch(() => {});
      for (const chunk of buffers) this.absorb(chunk);
      this.checkSignatureOnceKnown();
    };
    try {
      for await (const received of body) {
        const chunk = received as Buffer;
        const end = nextPosition + batchBytes + chunk.byteLength;
        if (end > this.maxBytes) throw tooLarge(`${this.where} exceeds the limit`, this.maxBytes);
        if (this.expectedTotal !== undefined && end > this.expectedTotal) {
          throw interrupted(`server sent more than the announced ${this.expectedTotal} bytes`);
        }
        batch.push(chunk);
        batchBytes += chunk.byteLength;
        // The first bytes are checked at once, so an HTML error page is refused before it is kept.
        if (batchBytes >= WRITE_BATCH_BYTES || !signatureChecked) {
          await flush();
          signatureChecked = true;
        }
      }
      await flush();
    } catch (error) {
      // Bytes received before a cut are good: keep them so the retry resumes after them.
      if (!isAbort(error)) await flush().catch(() => {});
      throw error;
    } finally {
      await inFlight;
    }
  }

  async finish(): Promise<{ sha256: string; bytes: number }> {
    if (this.expectedTotal !== undefined && this.written !== this.expectedTotal) {
      throw interrupted(`got ${this.written} of ${this.expectedTotal} bytes`);
    }
    if (this.head.length < 8) throw notMp4(this.where, this.head);
    const handle = this.requireHandle();
    // The store activity may run after a machine restart: the bytes must be on disk, not cached.
    await handle.sync();
    await this.close();
    return { sha256: this.hash.digest('hex'), bytes: this.written };
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  private absorb(chunk: Buffer): void {
    this.hash.update(chunk);
    if (this.head.length < 8) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, 8 - this.head.length)]);
    }
  }

  /** Refuses an HTML error page (or anything else) as soon as its first 8 bytes are in. */
  private checkSignatureOnceKnown(): void {
    if (this.head.length === 8 && !isMp4Head(this.head)) {
      throw notMp4(this.where, this.head);
    }
  }

  private requireHandle(): FileHandle {
    if (!this.handle) throw new Error('partial file is not open');
    return this.handle;
  }
}

interface HeartbeatPacer {
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
function startHeartbeats(
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

function readProgress(details: unknown): DownloadProgress | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const { offset, validator } = details as { offset?: unknown; validator?: unknown };
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  return typeof validator === 'string' ? { offset, validator } : { offset };
}

/** `bytes 100-199/1000`, `bytes 100-199/*` or (for 416) `bytes *\/1000`. */
function parseContentRange(
  value: string | undefined,
): { start: number; end: number | undefined; total: number | undefined } | undefined {
  const satisfied = value?.match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
  if (satisfied) {
    return {
      start: Number(satisfied[1]),
      end: Number(satisfied[2]),
      total: satisfied[3] === '*' ? undefined : Number(satisfied[3]),
    };
  }
  const unsatisfied = value?.match(/^bytes \*\/(\d+)$/);
  if (unsatisfied) return { start: -1, end: undefined, total: Number(unsatisfied[1]) };
  return undefined;
}

function checkContentLength(headers: Dispatcher.ResponseData['headers'], expected: number): void {
  const declared = numberHeader(headers['content-length']);
  if (declared !== undefined && declared !== expected) {
    throw interrupted(
      `Content-Length ${declared} does not match Content-Range (${expected} bytes)`,
    );
  }
}

/** Only strong validators may be used with If-Range (RFC 9110 §13.1.5). */
function validatorOf(headers: Dispatcher.ResponseData['headers']): string | undefined {
  const etag = headerValue(headers.etag);
  if (etag && !etag.startsWith('W/')) return etag;
  return headerValue(headers['last-modified']);
}

function statusFailure(
  status: number,
  headers: Dispatcher.ResponseData['headers'],
): ApplicationFailure {
  if (status === 404 || status === 410) {
    return ApplicationFailure.create({
      type: DownloadFailureType.resultGone,
      message: `the result file is gone (HTTP ${status})`,
      nonRetryable: true,
    });
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 425 && status !== 429) {
    return ApplicationFailure.create({
      type: DownloadFailureType.refused,
      message: `the result URL answered HTTP ${status}`,
      nonRetryable: true,
    });
  }
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  return ApplicationFailure.create({
    type: DownloadFailureType.interrupted,
    message: `the result URL answered HTTP ${status}`,
    ...(retryAfterMs !== undefined ? { nextRetryDelay: retryAfterMs } : {}),
  });
}

/** Turns whatever went wrong into an ApplicationFailure whose message names no signed URL. */
function classify(error: unknown, where: string, offset: number): ApplicationFailure {
  const blocked = findBlockedAddressError(error);
  if (blocked) {
    return ApplicationFailure.create({
      type: DownloadFailureType.blockedUrl,
      message: `refusing to download ${where}: ${blocked.message}`,
      nonRetryable: true,
    });
  }
  if (error instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      type: error.type ?? DownloadFailureType.interrupted,
      message: `download of ${where}: ${error.message}`,
      nonRetryable: error.nonRetryable ?? false,
      ...(error.nextRetryDelay != null ? { nextRetryDelay: error.nextRetryDelay } : {}),
    });
  }
  const detail = (error as { code?: unknown })?.code ?? (error as Error)?.message ?? error;
  return ApplicationFailure.create({
    type: DownloadFailureType.interrupted,
    message: `download of ${where} interrupted at byte ${offset}: ${String(detail)}`,
    cause: error instanceof Error ? error : undefined,
  });
}

function interrupted(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: DownloadFailureType.interrupted, message });
}

function tooLarge(what: string, limit: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: DownloadFailureType.tooLarge,
    message: `${what}; videos over ${limit} bytes are refused`,
    nonRetryable: true,
  });
}

function notMp4(where: string, head: Buffer): ApplicationFailure {
  const preview = head.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return ApplicationFailure.create({
    type: DownloadFailureType.notMp4,
    message: `${where} is not an MP4 file (no ftyp box at byte 4; it starts with "${preview}")`,
    nonRetryable: true,
  });
}

function isMp4Head(head: Buffer): boolean {
  return head.toString('latin1', 4, 8) === 'ftyp';
}

async function sizeOrZero(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function numberHeader(value: string | string[] | undefined): number | undefined {
  const text = headerValue(value);
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
