/**
 * Runs the real download activity once, in its own process, and prints JSON with its time and
 * this process's RSS growth, so the benchmark measures the activity alone (not the fake server).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDownloadVideo } from '../src/activities/download-video.js';
import { createGuardedAgent } from '../src/http/guarded-agent.js';
import { createFilesystemStorage } from '../src/storage/filesystem-storage.js';

const url = process.argv[2];
if (!url) throw new Error('usage: download-probe.ts URL');
const storage = createFilesystemStorage({
  rootDirectory: await mkdtemp(join(tmpdir(), 'klingflow-probe-')),
});
const downloadVideo = createDownloadVideo({
  storage,
  dispatcher: createGuardedAgent({ allowPrivateNetwork: true }),
  allowPrivateNetwork: true,
});
const environment = new MockActivityEnvironment();
globalThis.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const started = process.hrtime.bigint();
const result = (await environment.run(downloadVideo, { url, key: 'probe' })) as Awaited<
  ReturnType<typeof downloadVideo>
>;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(
  JSON.stringify({
    seconds,
    bytes: result.bytes,
    sha256: result.sha256,
    rssGrowthBytes: peak - baseline,
    tempPath: result.tempPath,
  }),
);
