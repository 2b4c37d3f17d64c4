/**
 * The download step's work written as plainly as it can be: undici reads the loopback file,
 * every chunk is hashed (sha256), the file is written in 1 MiB batches and synced once at the
 * end, in its own process, measured like the activity. No checks, no resume, no heartbeats:
 * what any implementation that verifies and keeps the bytes must spend, so the benchmark can
 * tell the cost of that work from the cost of klingflow's code.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { probeRun } from './lib/probe-run.js';

const BATCH_BYTES = 1024 * 1024;
const url = process.argv[2];
if (!url) throw new Error('usage: download-work-probe.ts URL');
const dispatcher = new Agent();
const directory = await mkdtemp(join(tmpdir(), 'klingflow-work-probe-'));
try {
  await probeRun(async () => {
    const { statusCode, body } = await request(url, { dispatcher });
    if (statusCode !== 200) throw new Error(`HTTP ${statusCode}`);
    const hash = createHash('sha256');
    const file = await open(join(directory, 'video.mp4'), 'w');
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let position = 0;
    let writing: Promise<unknown> = Promise.resolve();
    const flush = async () => {
      await writing;
      writing = file.writev(batch, position);
      position += batchBytes;
      batch = [];
      batchBytes = 0;
    };
    for await (const chunk of body) {
      hash.update(chunk as Buffer);
      batch.push(chunk as Buffer);
      batchBytes += (chunk as Buffer).byteLength;
      if (batchBytes >= BATCH_BYTES) await flush();
    }
    await flush();
    await writing;
    await file.sync();
    await file.close();
    return { bytes: position, sha256: hash.digest('hex') };
  });
} finally {
  await dispatcher.close();
  await rm(directory, { recursive: true, force: true });
}
