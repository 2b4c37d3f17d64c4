/**
 * `npm run bench`: measures throughput and overhead, cost per job in history events and
 * actions, download speed and memory, and detection latency, and writes BENCHMARKS.md with the
 * machine, the date and every figure next to its target. Sizes can be lowered for a quick look:
 *   BENCH_JOBS=50,200 BENCH_DOWNLOAD_MB=100 npm run bench
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '../src/temporal/dev-server.js';
import { freePort } from '../test/setup/temporal-dev-server.js';
import { measureDetectionLatency } from './detection-latency.js';
import { downloadReport, measureDownload } from './download.js';
import { measureHistoryCost } from './history-cost.js';
import {
  extractSection,
  machineDescription,
  markdownTable,
  type Target,
  targetsTable,
  upsertSection,
} from './lib/report.js';
import { comparePollingPolicies, pollingSection, pollingTarget } from './polling-policies.js';
import { extractSoakSection, replaceSoakSection } from './soak/report.js';
import { measureThroughput, type ThroughputResult } from './throughput.js';

const OUTPUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const jobCounts = (process.env.BENCH_JOBS ?? '200,1000').split(',').map(Number);
const downloadMb = Number(process.env.BENCH_DOWNLOAD_MB ?? 500);
const renderMs = Number(process.env.BENCH_RENDER_MS ?? 10_000);

const log = (message: string) => console.error(`[bench] ${message}`);
const directory = await mkdtemp(join(tmpdir(), 'klingflow-bench-server-'));
const server = await startDevServer({
  port: await freePort(),
  headless: true,
  dbFilename: join(directory, 'temporal.db'),
  output: 'ignore',
});
const sections: string[] = [];
const targets: Target[] = [];
try {
  log(`dev server at ${server.address}`);

  // 1. Throughput and overhead, against the engine's ceiling.
  const throughput: ThroughputResult[] = [];
  for (const jobs of jobCounts) {
    for (const workload of ['klingflow', 'trivial'] as const) {
      log(`throughput: ${jobs} ${workload} jobs, ${renderMs} ms render`);
      throughput.push(
        await measureThroughput({
          address: server.address,
          jobs,
          renderMs,
          pollIntervalMs: 1000,
          workload,
        }),
      );
    }
  }
  const rows = throughput.map((result) => [
    result.workload,
    result.jobs,
    `${result.succeeded}/${result.jobs}`,
    result.wallSeconds,
    result.jobsPerSecond,
    result.overheadP50Ms,
    result.overheadP95Ms,
    result.workerPeakRssMb,
    result.workerCpuSeconds,
  ]);
  const ratios = jobCounts.map((jobs) => {
    const ours = throughput.find(
      (result) => result.workload === 'klingflow' && result.jobs === jobs,
    )!;
    const ceiling = throughput.find(
      (result) => result.workload === 'trivial' && result.jobs === jobs,
    )!;
    return `${jobs} jobs: klingflow reaches ${Math.round((ours.jobsPerSecond / ceiling.jobsPerSecond) * 100)}% of the trivial workflow's jobs/s`;
  });
  sections.push(`## 1. Throughput and overhead

All jobs started at once; simulated render ${renderMs / 1000} s; poll interval 1 s; one worker
process and the dev server on this machine. Overhead = end-to-end time (workflow start to
close) minus the render time. The trivial workload is one timer for the render plus one no-op
activity: the engine's ceiling here.

${markdownTable(['workload', 'jobs', 'succeeded', 'wall s', 'jobs/s', 'overhead p50 ms', 'overhead p95 ms', 'worker peak RSS MB', 'worker CPU s'], rows)}

${ratios.map((ratio) => `- ${ratio}`).join('\n')}`);
  const largest = throughput.filter((result) => result.workload === 'klingflow').at(-1)!;
  const largestCeiling = throughput.find(
    (result) => result.workload === 'trivial' && result.jobs === largest.jobs,
  )!;
  const overheadMet = largest.overheadP95Ms <= 2000 && largest.succeeded === largest.jobs;
  targets.push({
    name: `overhead p95 at ${largest.jobs} jobs`,
    target: '≤ 2 s',
    measured: `${(largest.overheadP95Ms / 1000).toFixed(2)} s`,
    met: overheadMet,
    ...(overheadMet
      ? {}
      : {
          note: `missed by ${((largest.overheadP95Ms - 2000) / 1000).toFixed(1)} s. The engine's own ceiling misses it too: the trivial one-timer-one-activity workflow has p95 ${(largestCeiling.overheadP95Ms / 1000).toFixed(1)} s here, because ${largest.jobs} starts at once queue in the SQLite dev server, which shares 2 cores with the worker and the load generator. klingflow adds ${((largest.overheadP95Ms - largestCeiling.overheadP95Ms) / 1000).toFixed(1)} s at p95 (about 3× the events per job: submit, poll, download, store). A production Temporal cluster on PostgreSQL is the setting for this target`,
        }),
  });
  targets.push({
    name: `worker RSS at ${largest.jobs} in-flight jobs`,
    target: '≤ 1 GB',
    measured: `${largest.workerPeakRssMb} MB`,
    met: largest.workerPeakRssMb <= 1024,
  });

  // 2. Cost per job.
  log('history cost: 4-minute render, scaled 1/10');
  const costs = await measureHistoryCost({
    address: server.address,
    renderSeconds: 240,
    pollSeconds: 10,
    scale: 10,
  });
  const allCosts = costs;
  sections.push(`## 2. Cost per job (4-minute render, 10 s poll interval)

Time scaled 1/10 (render 24 s, poll 1 s, first poll at 16.8 s = 80% of the typical 210 s); counts do not depend on the scale. Billable actions
as Temporal Cloud counts them: workflow start, timers, activity attempts (retries included),
local activities, signals and search-attribute upserts.

${markdownTable(
  [
    'variant',
    'history events',
    'polls',
    'timers',
    'activities',
    'activity attempts',
    'local activities',
    'signals',
    'billable actions',
  ],
  allCosts.map((cost) => [
    cost.variant,
    cost.events,
    cost.polls,
    cost.timers,
    cost.activities,
    cost.activityAttempts,
    cost.localActivities,
    cost.signals,
    cost.billableActions,
  ]),
)}`);
  const polled = costs.find((cost) => cost.variant === 'klingflow, polled')!;
  targets.push({
    name: 'history events per 4-minute polled job',
    target: '≤ 40',
    measured: String(polled.events),
    met: polled.events <= 40,
  });

  // 2b. Polling policies over a spread of render times (billable actions per polled job).
  const polling = await comparePollingPolicies({ address: server.address, log });
  sections.push(pollingSection(polling));
  targets.push(pollingTarget(polling));

  // 3. Download.
  log(`download: ${downloadMb} MB against undici alone and curl`);
  const download = downloadReport(
    await measureDownload({ bytes: downloadMb * 1024 * 1024, runs: 5 }),
  );
  sections.push(download.section);
  targets.push(...download.targets);

  // 4. Detection latency.
  const detection = await measureDetectionLatency({ address: server.address, log });
  sections.push(`## 4. Detection latency (provider done → download started)

${markdownTable(
  ['variant', 'samples', 'p50 ms', 'p95 ms', 'max ms'],
  detection.latencies.map((latency) => [
    latency.variant,
    latency.samples,
    latency.p50Ms,
    latency.p95Ms,
    latency.maxMs,
  ]),
)}

${detection.notes}`);
  const webhook = detection.latencies.find((latency) => latency.variant.startsWith('webhook'));
  if (webhook) {
    targets.push({
      name: 'webhook detection latency (p95)',
      target: '≤ 1 s',
      measured: `${webhook.p95Ms} ms`,
      met: webhook.p95Ms <= 1000,
    });
  }
} finally {
  await server.stop();
  await rm(directory, { recursive: true, force: true });
}

const report = `# klingflow benchmarks

Written by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString().slice(0, 10)}.
Machine: ${machineDescription()}. Temporal dev server (temporal CLI v1.5.1, SQLite) on the same machine.

## Targets

${targetsTable(targets)}

${sections.join('\n\n')}
`;
// The soak (npm run soak) and bench/worker-start.ts write their own sections; keep them.
const previous = await readFile(OUTPUT, 'utf8').catch(() => '');
const soak = extractSoakSection(previous);
const workerStart = extractSection(previous, 'Worker start time');
const withSoak = soak ? replaceSoakSection(report, soak) : report;
await writeFile(
  OUTPUT,
  workerStart ? upsertSection(withSoak, 'Worker start time', workerStart, 'Soak') : withSoak,
);
log(`wrote ${OUTPUT}`);
