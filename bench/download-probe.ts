/**
 * Runs the download step of the real activity once (fetch, sha256, write, fsync: what both
 * download activities run before committing), in its own process, and prints JSON with its time
 * and this process's RSS growth, so the benchmark measures the activity alone (not the fake
 * server).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createDownloadVideo } from '../src/activities/download-video.js';
import { createGuardedAgent } from '../src/http/guarded-agent.js';
import { createFilesystemStorage } from '../src/storage/filesystem-storage.js';
import { probeRun } from './lib/probe-run.js';

const url = process.argv[2];
if (!url) throw new Error('usage: download-probe.ts URL');
const rootDirectory = await mkdtemp(join(tmpdir(), 'klingflow-probe-'));
const storage = createFilesystemStorage({ rootDirectory });
const downloadVideo = createDownloadVideo({
  storage,
  dispatcher: createGuardedAgent({ allowPrivateNetwork: true }),
  allowPrivateNetwork: true,
});
const environment = new MockActivityEnvironment(undefined, {
  logger: new DefaultLogger('WARN'),
});
try {
  await probeRun(async () => {
    const result = (await environment.run(downloadVideo, { url, key: 'probe' })) as Awaited<
      ReturnType<typeof downloadVideo>
    >;
    return { bytes: result.bytes, sha256: result.sha256 };
  });
} finally {
  // The downloaded file is in it: each 500 MB run would otherwise leave one behind.
  await rm(rootDirectory, { recursive: true, force: true });
}
