import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FakeProviderServer } from '../src/simulated/fake-server.js';
import { megabytes } from './lib/process-stats.js';

const run = promisify(execFile);
const PROBE = fileURLToPath(new URL('./download-probe.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));

export interface DownloadBenchmark {
  fileMb: number;
  runs: number;
  klingflowMbPerSecond: number;
  curlMbPerSecond: number;
  ratio: number;
  rssGrowthMb: number;
  sha256Verified: boolean;
}

/** The download activity against curl on the same loopback file; best of `runs` for each. */
export async function measureDownload(options: {
  bytes: number;
  runs: number;
}): Promise<DownloadBenchmark> {
  const fake = new FakeProviderServer({
    name: 'download-bench',
    routes: [],
    authenticate: () => true,
    rejectAuth: () => {},
    videoBytes: options.bytes,
  });
  await fake.start();
  const expected = createHash('sha256').update(fake.videoBuffer).digest('hex');
  const url = `${fake.origin}/files/bench.mp4`;
  const directory = await mkdtemp(join(tmpdir(), 'klingflow-download-bench-'));
  let bestKlingflow = Number.POSITIVE_INFINITY;
  let bestCurl = Number.POSITIVE_INFINITY;
  let rssGrowth = 0;
  let verified = true;
  try {
    for (let index = 0; index < options.runs; index++) {
      const { stdout } = await run(process.execPath, ['--expose-gc', TSX, PROBE, url], {
        maxBuffer: 1024 * 1024,
      });
      const probe = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
      verified &&= probe.sha256 === expected && probe.bytes === options.bytes;
      bestKlingflow = Math.min(bestKlingflow, probe.seconds);
      rssGrowth = Math.max(rssGrowth, probe.rssGrowthBytes);
      await rm(probe.tempPath, { force: true });

      const target = join(directory, `curl-${index}.mp4`);
      const { stdout: curlOut } = await run('curl', [
        '-s',
        '-o',
        target,
        '-w',
        '%{time_total}',
        url,
      ]);
      bestCurl = Math.min(bestCurl, Number(curlOut));
      verified &&= (await stat(target)).size === options.bytes;
      await rm(target, { force: true });
    }
  } finally {
    await fake.stop();
    await rm(directory, { recursive: true, force: true });
  }
  const mb = options.bytes / (1024 * 1024);
  const klingflowRate = mb / bestKlingflow;
  const curlRate = mb / bestCurl;
  return {
    fileMb: Math.round(mb),
    runs: options.runs,
    klingflowMbPerSecond: Math.round(klingflowRate),
    curlMbPerSecond: Math.round(curlRate),
    ratio: Math.round((klingflowRate / curlRate) * 100) / 100,
    rssGrowthMb: megabytes(rssGrowth),
    sha256Verified: verified,
  };
}
