/**
 * `npx tsx bench/quick-throughput.ts`: one burst per workload on a fresh dev server, printed as
 * JSON, to measure a change quickly without rewriting BENCHMARKS.md. BENCH_PROFILE=1 profiles
 * each worker (`--cpu-prof`) and prints where its CPU went during the burst.
 *   BENCH_JOBS=200 BENCH_WORKLOADS=klingflow,trivial npx tsx bench/quick-throughput.ts
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startBenchDevServer } from './lib/bench-dev-server.js';
import { summarizeProfiles } from './lib/cpu-profile.js';
import type { WorkloadName } from './lib/workload.js';
import { measureThroughput } from './throughput.js';

const jobs = Number(process.env.BENCH_JOBS ?? 200);
const workloads = (process.env.BENCH_WORKLOADS ?? 'klingflow,trivial').split(',') as WorkloadName[];
const profiling = process.env.BENCH_PROFILE === '1';
const { server, directory } = await startBenchDevServer('quick');
try {
  for (const workload of workloads) {
    const profiles = join(directory, `profiles-${workload}`);
    const result = await measureThroughput({
      address: server.address,
      jobs,
      renderMs: Number(process.env.BENCH_RENDER_MS ?? 10_000),
      pollIntervalMs: 1000,
      workload,
      ...(profiling ? { nodeArguments: ['--cpu-prof', `--cpu-prof-dir=${profiles}`] } : {}),
    });
    console.log(JSON.stringify(result));
    if (!profiling) continue;
    const files = (await readdir(profiles)).map((file) => join(profiles, file));
    const windowMs = (result.wallSeconds + result.stopSeconds + 1) * 1000;
    const summary = await summarizeProfiles(files, windowMs);
    console.log(`${workload}: ${files.length} profile(s), busy ${summary.busyMs} ms`);
    for (const cost of [...summary.areas.slice(0, 15), ...summary.functions.slice(0, 25)])
      console.log(`  ${(cost.share * 100).toFixed(1)}% ${cost.milliseconds} ms ${cost.what}`);
  }
} finally {
  await server.stop();
  await rm(directory, { recursive: true, force: true });
}
