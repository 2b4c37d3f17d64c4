import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { interrupted, notMp4, tooLarge } from './failures.js';
import type { DownloadProgress } from './heartbeats.js';

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

/** The partial file, its running hash, and the checks that run as bytes arrive. */
export class Transfer {
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
