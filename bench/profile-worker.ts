/**
 * Profiles one burst's worker (`node --cpu-prof`, every thread) and prints where its CPU went:
 *   BENCH_JOBS=200 BENCH_WORKLOADS=klingflow npx tsx bench/profile-worker.ts
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer } from '../src/temporal/dev-server.js';
import { freePort } from '../test/support/free-port.js';
import { summarizeProfiles } from './lib/cpu-profile.js';
import type { WorkloadName } from './lib/workload.js';
import { measureThroughput } from './throughput.js';

const jobs = Number(process.env.BENCH_JOBS ?? 200);
const workloads = (process.env.BENCH_WORKLOADS ?? 'klingflow').split(',') as WorkloadName[];
const directory = await mkdtemp(join(tmpdir(), 'klingflow-bench-profile-'));
const server = await startDevServer({
  port: await freePort(),
  headless: true,
  dbFilename: join(directory, 'temporal.db'),
  output: 'ignore',
});
try {
  for (const workload of workloads) {
    const profiles = join(directory, `profiles-${workload}`);
    const result = await measureThroughput({
      address: server.address,
      jobs,
      renderMs: Number(process.env.BENCH_RENDER_MS ?? 10_000),
      pollIntervalMs: 1000,
      workload,
      nodeArguments: ['--cpu-prof', `--cpu-prof-dir=${profiles}`],
    });
    console.log(JSON.stringify(result));
    const files = (await readdir(profiles)).map((file) => join(profiles, file));
    const summary = await summarizeProfiles(files);
    console.log(`${workload}: ${files.length} profile(s), busy ${summary.busyMs} ms`);
    for (const cost of summary.areas.slice(0, 15))
      console.log(`  area ${(cost.share * 100).toFixed(1)}% ${cost.milliseconds} ms ${cost.what}`);
    for (const cost of summary.functions.slice(0, 25))
      console.log(`  fn ${(cost.share * 100).toFixed(1)}% ${cost.milliseconds} ms ${cost.what}`);
  }
} finally {
  await server.stop();
  if (!process.env.BENCH_KEEP) await rm(directory, { recursive: true, force: true });
  else console.log(`kept ${directory}`);
}
