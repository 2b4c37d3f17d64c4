/**
 * `npm run bench`: measures a burst of jobs and the worker's CPU per job (in alternated pairs of
 * bursts, with a CPU profile),
 * steady arrival rates, worker memory against in-flight jobs, cost per job in history events and
 * actions, download speed and memory, and detection latency, and writes BENCHMARKS.md with the
 * machine, the date and every figure next to its target. Sizes can be lowered for a quick look,
 * and sections picked (the others keep what BENCHMARKS.md had):
 *   BENCH_JOBS=50,200 BENCH_CPU_PAIRS=1 BENCH_STEADY_SECONDS=30 BENCH_IN_FLIGHT=200,1000 BENCH_DOWNLOAD_MB=100 npm run bench
 *   BENCH_SECTIONS=burst,steady,scaling npm run bench
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installQuietRuntime } from '../src/temporal/sdk-logging.js';
import { measureCpuPairs } from './cpu-pairs.js';
import { measureDetectionLatency } from './detection-latency.js';
import { downloadReport, measureDownload } from './download.js';
import { measureHistoryCost } from './history-cost.js';
import { startBenchDevServer } from './lib/bench-dev-server.js';
import { summarizeProfiles } from './lib/cpu-profile.js';
import {
  extractSection,
  machineDescription,
  markdownTable,
  mergedTargetsTable,
  previousTargetRows,
  type Target,
  upsertSection,
} from './lib/report.js';
import {
  burstSection,
  burstTargets,
  cpuSection,
  scalingSection,
  scalingTargets,
  steadySection,
  steadyTargets,
} from './load-sections.js';
import { measureOwnActivityCpu } from './own-activity-cpu.js';
import { comparePollingPolicies, pollingSection, pollingTarget } from './polling-policies.js';
import { measureScaling, type ScalingPoint } from './scaling.js';
import { extractSoakSection, replaceSoakSection } from './soak/report.js';
import { measureSteadyState, type SteadyStateResult } from './steady-state.js';
import { measureThroughput, type ThroughputResult } from './throughput.js';

// The in-process workers (history cost, polling policies, detection) log like a worker does:
// warnings only, so the run's own progress lines stay readable.
installQuietRuntime();

const OUTPUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const numbers = (value: string) => value.split(',').filter(Boolean).map(Number);
const jobCounts = numbers(process.env.BENCH_JOBS ?? '200,1000');
const profileJobs = Number(process.env.BENCH_PROFILE_JOBS ?? 200);
const cpuPairCount = Number(process.env.BENCH_CPU_PAIRS ?? 5);
const cpuPairJobs = Number(process.env.BENCH_CPU_PAIR_JOBS ?? 300);
const steadyRates = numbers(process.env.BENCH_STEADY_RATES ?? '2,5,10');
const steadySeconds = Number(process.env.BENCH_STEADY_SECONDS ?? 180);
const inFlightCounts = numbers(process.env.BENCH_IN_FLIGHT ?? '200,1000,3000');
const downloadMb = Number(process.env.BENCH_DOWNLOAD_MB ?? 500);
const renderMs = Number(process.env.BENCH_RENDER_MS ?? 10_000);
const ALL_SECTIONS = [
  'burst',
  'steady',
  'scaling',
  'cost',
  'polling',
  'download',
  'detection',
] as const;
type SectionName = (typeof ALL_SECTIONS)[number];
const chosen = (process.env.BENCH_SECTIONS ?? ALL_SECTIONS.join(',')).split(',');
const runs = (section: SectionName) => chosen.includes(section);
/** Each section's heading, to keep the previous text of a section this run skips. */
const HEADINGS: Record<SectionName, RegExp[]> = {
  burst: [/^## (\d+\. )?Throughput and overhead/, /^## (\d+\. )?Worker CPU per job/],
  steady: [/^## (\d+\. )?Steady state/],
  scaling: [/^## (\d+\. )?Scaling with in-flight jobs/],
  cost: [/^## (\d+\. )?Cost per job/],
  polling: [/^## (\d+\. )?Polling policies/],
  download: [/^## (\d+\. )?Download/],
  detection: [/^## (\d+\. )?Detection latency/],
};

const log = (message: string) => console.error(`[bench] ${message}`);
const previous = await readFile(OUTPUT, 'utf8').catch(() => '');
const { server, directory, metricsUrl } = await startBenchDevServer('server');
const sections: string[] = [];
const targets: Target[] = [];
/** Runs a section, or keeps what the previous BENCHMARKS.md had for it. */
async function section(name: SectionName, measure: () => Promise<void>): Promise<void> {
  if (runs(name)) return measure();
  for (const heading of HEADINGS[name]) {
    const kept = extractSection(previous, heading);
    if (kept) sections.push(kept.trimEnd());
  }
}
try {
  log(`dev server at ${server.address}`);
  await section('burst', () => burst(server.address));
  await section('steady', () => steady(server.address));
  await section('scaling', () => scaling(server.address));
  await section('cost', async () => {
    log('history cost: 4-minute render, scaled 1/10');
    const costs = await measureHistoryCost({
      address: server.address,
      metricsUrl,
      renderSeconds: 240,
      pollSeconds: 10,
      scale: 10,
    });
    const allCosts = costs;
    sections.push(`## 5. Cost per job (4-minute render, 10 s poll interval)

Time scaled 1/10 (render 24 s, poll 1 s, first poll at 16.8 s = 80% of the typical 210 s); counts do not depend on the scale. Billable actions
as Temporal Cloud counts them, from the history: workflow start, timers, activity attempts
(retries included), local activities, signals and search-attribute upserts. The server's count
is its own \`action\` metric over the job: the same, and heartbeats, which leave no event. Polls
count every attempt of the status activity, including the first, which only waits out the
first-poll delay (in place of a timer).

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
    'billable actions (history)',
    'billable actions (server count)',
    'of which heartbeats',
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
    cost.serverActions ?? '-',
    cost.heartbeats ?? '-',
  ]),
)}`);
    const polled = costs.find((cost) => cost.variant === 'klingflow, polled')!;
    targets.push({
      name: 'history events per 4-minute polled job',
      target: '≤ 40',
      measured: String(polled.events),
      met: polled.events <= 40,
    });
  });
  await section('polling', async () => {
    // Polling policies over a spread of render times (billable actions per polled job).
    const polling = await comparePollingPolicies({ address: server.address, metricsUrl, log });
    sections.push(pollingSection(polling));
    targets.push(pollingTarget(polling));
  });
  await section('download', async () => {
    log(`download: ${downloadMb} MB against undici alone and curl`);
    const download = downloadReport(
      await measureDownload({ bytes: downloadMb * 1024 * 1024, runs: 5 }),
    );
    sections.push(download.section);
    targets.push(...download.targets);
  });
  await section('detection', async () => {
    const detection = await measureDetectionLatency({ address: server.address, log });
    sections.push(`## 7. Detection latency (provider done → download started)

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
  });
} finally {
  await server.stop();
  await rm(directory, { recursive: true, force: true });
}

const report = `# klingflow benchmarks

Written by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString().slice(0, 10)}.
Machine: ${machineDescription()}. Temporal dev server (temporal CLI v1.5.1, SQLite) on the same machine.

## Targets

Measured on a machine shared with other work (2 cores): figures are provisional.

${mergedTargetsTable(targets, previousTargetRows(previous))}

${sections.join('\n\n')}
`;
// The soak (npm run soak), bench/worker-start.ts and the record of CPU cuts are written
// elsewhere; keep them.
let document = report;
for (const title of ['CPU per job: before and after', 'Worker start time']) {
  const kept = extractSection(previous, title);
  if (kept) document = upsertSection(document, title, kept, 'Soak');
}
const soak = extractSoakSection(previous);
await writeFile(OUTPUT, soak ? replaceSoakSection(document, soak) : document);
log(`wrote ${OUTPUT}`);

/** Sections 1 and 2: bursts of both workloads, then a profiled klingflow burst. */
async function burst(address: string): Promise<void> {
  const throughput: ThroughputResult[] = [];
  for (const jobs of jobCounts) {
    for (const workload of ['klingflow', 'trivial'] as const) {
      log(`throughput: ${jobs} ${workload} jobs, ${renderMs} ms render`);
      throughput.push(
        await measureThroughput({ address, jobs, renderMs, pollIntervalMs: 1000, workload }),
      );
    }
  }
  sections.push(burstSection(throughput, renderMs));
  const cpuPairs = await measureCpuPairs({
    address,
    pairs: cpuPairCount,
    jobs: cpuPairJobs,
    renderMs,
    log,
  });
  log('own activity code: 3 runs of 300 jobs outside Temporal');
  const ownActivity = await measureOwnActivityCpu({ jobs: 300, concurrency: 10, runs: 3 });
  targets.push(...burstTargets(throughput, cpuPairs, ownActivity));
  let profile: Parameters<typeof cpuSection>[1];
  if (profileJobs > 0) {
    log(`profile: ${profileJobs} klingflow jobs under --cpu-prof`);
    const profiles = join(directory, 'profiles');
    const profiled = await measureThroughput({
      address,
      jobs: profileJobs,
      renderMs,
      pollIntervalMs: 1000,
      workload: 'klingflow',
      nodeArguments: ['--cpu-prof', `--cpu-prof-dir=${profiles}`],
    });
    const files = (await readdir(profiles)).map((file) => join(profiles, file));
    // The burst and the stop after it, without the worker's start (module loading, webpack).
    const windowMs = (profiled.wallSeconds + profiled.stopSeconds + 1) * 1000;
    profile = { ...(await summarizeProfiles(files, windowMs)), jobs: profileJobs };
  }
  sections.push(cpuSection(throughput, profile, cpuPairs, ownActivity));
}

async function steady(address: string): Promise<void> {
  const results: SteadyStateResult[] = [];
  for (const workload of ['klingflow', 'trivial'] as const) {
    results.push(
      ...(await measureSteadyState({
        address,
        workload,
        rates: steadyRates,
        seconds: steadySeconds,
        renderMs,
        pollIntervalMs: 1000,
        log,
      })),
    );
  }
  sections.push(steadySection(results, renderMs));
  targets.push(...steadyTargets(results));
}

async function scaling(address: string): Promise<void> {
  const points: ScalingPoint[] = await measureScaling({
    address,
    workload: 'klingflow',
    inFlight: inFlightCounts,
    log,
  });
  sections.push(scalingSection(points));
  targets.push(...scalingTargets(points));
}
