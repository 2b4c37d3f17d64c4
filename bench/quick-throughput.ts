/**
 * `npx tsx bench/quick-throughput.ts`: one burst per workload on a fresh dev server, printed as
 * JSON, to measure a change quickly without rewriting BENCHMARKS.md.
 *   BENCH_JOBS=200 BENCH_WORKLOADS=klingflow,trivial npx tsx bench/quick-throughput.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer } from '../src/temporal/dev-server.js';
import { freePort } from '../test/support/free-port.js';
import type { WorkloadName } from './lib/workload.js';
import { measureThroughput } from './throughput.js';

const jobs = Number(process.env.BENCH_JOBS ?? 200);
const workloads = (process.env.BENCH_WORKLOADS ?? 'klingflow,trivial').split(',') as WorkloadName[];
const directory = await mkdtemp(join(tmpdir(), 'klingflow-bench-quick-'));
const server = await startDevServer({
  port: await freePort(),
  headless: true,
  dbFilename: join(directory, 'temporal.db'),
  output: 'ignore',
});
try {
  for (const workload of workloads) {
    const result = await measureThroughput({
      address: server.address,
      jobs,
      renderMs: Number(process.env.BENCH_RENDER_MS ?? 10_000),
      pollIntervalMs: 1000,
      workload,
    });
    console.log(JSON.stringify(result));
  }
} finally {
  await server.stop();
  await rm(directory, { recursive: true, force: true });
}
