import type { FileHandle } from 'node:fs/promises';
import { finished, type Readable } from 'node:stream';

/**
 * Batches of about 1 MiB, each written with one `writev`: a thread-pool round trip per 64 KiB
 * chunk made downloads several times slower than curl, and 4 MiB batches cost more system time
 * than 1 MiB ones (measured, BENCHMARKS.md section 6).
 */
export const WRITE_BATCH_BYTES = 1024 * 1024;

export interface BodyWriterHooks {
  /** Sees every chunk as it arrives (checks and hashing); throwing refuses the body there. */
  accept(chunk: Buffer): void;
  /** Every byte before `end` is in the file (written, not yet synced). */
  written(end: number): void;
}

/**
 * Streams `body` into the file from `position`. Chunks are handed to `hooks.accept` as they
 * arrive and gathered into batches; one batch is written while the next fills, so disk and
 * network overlap, and the body is paused while a full batch waits for the disk, so memory stays
 * at about two batches. The body is read through 'data' events, not an async iterator: a promise
 * per chunk cost more CPU than it needs to. Resolves once every accepted byte is written; on a
 * refused chunk or a cut body it still writes what was accepted (the retry resumes after it),
 * except after an abort, then rejects.
 */
export function writeBody(
  body: Readable,
  handle: FileHandle,
  position: number,
  hooks: BodyWriterHooks,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    new BodyWriter(body, handle, position, hooks, { resolve, reject }).start();
  });
}

class BodyWriter {
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private writing = false;
  private ended = false;
  private failure: { error: unknown } | undefined;
  /** The first bytes are written at once, so progress shows before a whole batch is in. */
  private firstWritten: boolean;

  constructor(
    private readonly body: Readable,
    private readonly handle: FileHandle,
    private position: number,
    private readonly hooks: BodyWriterHooks,
    private readonly outcome: { resolve: () => void; reject: (error: unknown) => void },
  ) {
    this.firstWritten = position > 0;
  }

  start(): void {
    this.body.on('data', this.onData);
    finished(this.body, this.onFinished);
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.hooks.accept(chunk);
    } catch (error) {
      // Bytes accepted before the refused chunk are good: settle keeps them.
      this.stop(error);
      this.settle();
      return;
    }
    this.batch.push(chunk);
    this.batchBytes += chunk.byteLength;
    if (this.writing) {
      if (this.batchBytes >= WRITE_BATCH_BYTES) this.body.pause();
    } else if (this.batchBytes >= WRITE_BATCH_BYTES || !this.firstWritten) {
      this.firstWritten = true;
      this.writeBatch();
    }
  };

  private readonly onFinished = (error?: Error | null): void => {
    if (error) {
      this.stop(error);
      // Bytes received before a cut are good: settle keeps them so the retry resumes after
      // them. An abort (cancellation, shutdown) wants nothing more written.
      if (isAbort(error)) this.dropBatch();
    } else {
      this.ended = true;
    }
    this.settle();
  };

  private writeBatch(): void {
    const buffers = this.batch;
    const end = this.position + this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    this.writing = true;
    writeAll(this.handle, buffers, this.position).then(
      () => this.afterWrite(end),
      (error: unknown) => {
        // The file cannot take more: nothing after this write is kept.
        this.writing = false;
        this.stop(error);
        this.dropBatch();
        this.settle();
      },
    );
  }

  private afterWrite(end: number): void {
    this.writing = false;
    this.position = end;
    try {
      this.hooks.written(end);
    } catch (error) {
      // Nothing may escape a promise callback unobserved: the failure ends this body instead.
      this.stop(error);
    }
    if (this.ended || this.failure) {
      this.settle();
      return;
    }
    if (this.batchBytes >= WRITE_BATCH_BYTES) this.writeBatch();
    this.body.resume();
  }

  /** Takes no more chunks; the first failure is the one reported. */
  private stop(error: unknown): void {
    this.failure ??= { error };
    this.body.off('data', this.onData);
    this.body.pause();
  }

  private dropBatch(): void {
    this.batch = [];
    this.batchBytes = 0;
  }

  /** Once the body is over (or refused), writes what is left, then answers. */
  private settle(): void {
    if (this.writing || (!this.ended && !this.failure)) return;
    if (this.batchBytes > 0) this.writeBatch();
    else if (this.failure) this.outcome.reject(this.failure.error);
    else this.outcome.resolve();
  }
}

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
