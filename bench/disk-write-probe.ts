/**
 * The disk alone: writes as many bytes as the download from memory, in the activity's batches
 * and with its background syncs and final fsync, with no network and no hashing. What the disk
 * and the kernel's page cache allow on this machine, for the download table.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WRITE_BATCH_BYTES } from '../src/activities/download/body-writer.js';
import { SYNC_EVERY_BYTES } from '../src/activities/download/transfer.js';
import { probeRun } from './lib/probe-run.js';

/** The size of a chunk as undici hands it over on loopback. */
const CHUNK_BYTES = 64 * 1024;
const bytes = Number(process.argv[2]);
if (!(bytes > 0)) throw new Error('usage: disk-write-probe.ts BYTES');
const directory = await mkdtemp(join(tmpdir(), 'klingflow-disk-probe-'));
try {
  await probeRun(async () => {
    const file = await open(join(directory, 'video.mp4'), 'w');
    let position = 0;
    let syncedAt = 0;
    let syncing: Promise<void> | undefined;
    while (position < bytes) {
      // Fresh buffers, as the network hands them over, not one batch written again and again.
      const batch: Buffer[] = [];
      for (let size = 0; size < WRITE_BATCH_BYTES && position + size < bytes; ) {
        const length = Math.min(CHUNK_BYTES, bytes - position - size);
        batch.push(Buffer.alloc(length, position + size));
        size += length;
      }
      position += (await file.writev(batch, position)).bytesWritten;
      if (!syncing && position - syncedAt >= SYNC_EVERY_BYTES) {
        syncedAt = position;
        syncing = file.datasync().finally(() => {
          syncing = undefined;
        });
      }
    }
    await syncing;
    await file.sync();
    await file.close();
    return { bytes: position };
  });
} finally {
  await rm(directory, { recursive: true, force: true });
}
