import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { writeBody } from './body-writer.js';
import { interrupted, notMp4, tooLarge } from './failures.js';
import type { DownloadProgress } from './heartbeats.js';

/**
 * How often the file is synced in the background while it downloads. Linux starts writing dirty
 * pages back only after 30 s or once 10% of memory is dirty (its defaults), so without these the
 * final fsync wrote the whole file after its last byte arrived (0.2-0.37 s for 500 MB here; 8-60
 * ms with them, for about the same CPU).
 */
export const SYNC_EVERY_BYTES = 32 * 1024 * 1024;

/** The partial file, its running hash, and the checks that run as bytes arrive. */
export class Transfer {
  private handle: FileHandle | undefined;
  private hash: Hash = createHash('sha256');
  private head = Buffer.alloc(0);
  private expectedTotal: number | undefined;
  private written = 0;
  /** Bytes accepted from the network: `written` plus those queued for the disk. */
  private received = 0;
  private syncing: Promise<void> | undefined;
  private syncStartedAt = 0;
  private syncError: { error: unknown } | undefined;

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
    // Readable too: the finished file's MP4 boxes are checked through the same handle.
    this.handle = await open(this.path, offset > 0 ? 'r+' : 'w+');
    if (offset > 0) {
      // Bytes past the last heartbeat may be torn; only the vouched prefix is kept.
      await this.handle.truncate(offset);
      for await (const chunk of createReadStream(this.path, { start: 0, end: offset - 1 })) {
        this.absorb(chunk as Buffer);
      }
      this.written = offset;
      this.received = offset;
      progress.offset = offset;
      progress.validator = resumeFrom?.validator;
      progress.total = resumeFrom?.total;
      // Only this activity writes the file, so a foreign prefix means it was damaged: start over.
      if (this.head.length === 8 && !isMp4Head(this.head)) await this.restart(progress);
    }
  }

  async restart(progress: DownloadProgress): Promise<void> {
    await this.handle?.truncate(0);
    this.hash = createHash('sha256');
    this.head = Buffer.alloc(0);
    this.written = 0;
    this.received = 0;
    this.syncStartedAt = 0;
    this.expectedTotal = undefined;
    progress.offset = 0;
    progress.validator = undefined;
    progress.total = undefined;
  }

  /** The file's length the current response announced, if it did. */
  announcedTotal(): number | undefined {
    return this.expectedTotal;
  }

  expectTotal(total: number | undefined): void {
    if (total === undefined) return;
    if (total > this.maxBytes) {
      throw tooLarge(`${this.where} is ${total} bytes`, this.maxBytes);
    }
    this.expectedTotal = total;
  }

  /** Streams `body` into the file after the bytes already there (see `writeBody`). */
  async write(body: Readable, progress: DownloadProgress): Promise<void> {
    const handle = this.requireHandle();
    await writeBody(body, handle, this.written, {
      accept: (chunk) => this.accept(chunk),
      written: (end) => {
        this.written = end;
        progress.offset = end;
        this.onProgress();
        this.syncInBackground(handle);
      },
    });
  }

  /**
   * Starts writing the file's dirty pages to disk while the download goes on, so the final sync
   * has little left to do. Heartbeat offsets still count written bytes, as before these syncs;
   * only the final sync vouches that the whole file is on disk.
   */
  private syncInBackground(handle: FileHandle): void {
    if (this.syncing || this.written - this.syncStartedAt < SYNC_EVERY_BYTES) return;
    this.syncStartedAt = this.written;
    this.syncing = handle
      .datasync()
      .catch((error: unknown) => {
        this.syncError ??= { error };
      })
      .finally(() => {
        this.syncing = undefined;
      });
  }

  /** Checks a received chunk against the limits and the MP4 signature, and hashes it. */
  private accept(chunk: Buffer): void {
    const end = this.received + chunk.byteLength;
    if (end > this.maxBytes) throw tooLarge(`${this.where} exceeds the limit`, this.maxBytes);
    if (this.expectedTotal !== undefined && end > this.expectedTotal) {
      throw interrupted(`server sent more than the announced ${this.expectedTotal} bytes`);
    }
    this.absorb(chunk);
    // An HTML error page (or anything else) is refused as soon as its first 8 bytes are in.
    this.checkSignatureOnceKnown();
    this.received = end;
  }

  async finish(progress: DownloadProgress): Promise<{ sha256: string; bytes: number }> {
    if (this.expectedTotal !== undefined && this.written !== this.expectedTotal) {
      throw interrupted(`got ${this.written} of ${this.expectedTotal} bytes`);
    }
    if (this.head.length < 8) throw notMp4(this.where, this.head);
    const handle = this.requireHandle();
    const incomplete = await incompleteMp4(handle, this.written);
    if (incomplete) {
      // Every byte announced arrived, but the file itself is cut short (a CDN serving an object
      // still being written): the next attempt fetches it whole rather than resuming past it.
      await this.restart(progress);
      throw interrupted(`${this.where} is not a complete MP4: ${incomplete}`);
    }
    // The store activity may run after a machine restart: the bytes must be on disk, not cached.
    // A background sync's error is reported once per file: it must fail this download too.
    await this.syncing;
    if (this.syncError) throw this.syncError.error;
    await handle.sync();
    await this.close();
    return { sha256: this.hash.digest('hex'), bytes: this.written };
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await this.syncing;
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

/**
 * Why the file is not a whole ISO-BMFF file, or undefined when it is: its top-level boxes must
 * run end to end to its length (a box of size 0 runs to the end; fewer bytes than a box header
 * after the last box, such as a stray CRLF, are ignored as players ignore them), a moov among
 * them. A few header reads, however large the file.
 */
async function incompleteMp4(handle: FileHandle, length: number): Promise<string | undefined> {
  const header = Buffer.alloc(16);
  let offset = 0;
  let movie = false;
  while (length - offset >= 8) {
    const { bytesRead } = await handle.read(header, 0, 16, offset);
    const type = header.toString('latin1', 4, 8);
    movie ||= type === 'moov';
    let size = header.readUInt32BE(0);
    if (size === 1) size = bytesRead < 16 ? 0 : Number(header.readBigUInt64BE(8));
    else if (size === 0) size = length - offset;
    if (size < 8) return `a malformed ${JSON.stringify(type)} box at byte ${offset}`;
    offset += size;
  }
  if (offset > length) return `its last box needs ${offset} bytes, ${length} arrived`;
  return movie ? undefined : 'it has no moov box';
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
