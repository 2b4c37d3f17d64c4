/**
 * The load sections of BENCHMARKS.md (issue 15: burst, CPU per job, steady state, scaling) and
 * their targets, from the measurements of bench/throughput.ts, bench/steady-state.ts,
 * bench/scaling.ts and a `--cpu-prof` profile (bench/lib/cpu-profile.ts).
 */
import { type CpuPair, medianPair } from './cpu-pairs.js';
import type { ProfileCost } from './lib/cpu-profile.js';
import { markdownTable, type Target } from './lib/report.js';
import type { OwnActivityCpu } from './own-activity-cpu.js';
import type { ScalingPoint } from './scaling.js';
import { scalingSlope } from './scaling.js';
import type { SteadyStateResult } from './steady-state.js';
import type { ThroughputResult } from './throughput.js';

export const MEASURED_HOW = `Both workers are measured the same way: the node process that runs the worker and
everything below it, from /proc (RSS summed over the tree, CPU as user + system time).
\`klingflow worker\` runs the TypeScript sources through tsx registered in-process
(bin/klingflow.js); the trivial worker runs with \`node --import tsx\`. Earlier versions of this
file measured the trivial worker's tsx CLI wrapper instead (52.9 MB, 0.02 s).`;

const PROVIDER_HOW = `klingflow's jobs call a simulated HyprLab that runs in a node process of its own
(bench/provider-server.ts), as a real provider does. Until 2026-12-01 it ran in the benchmark's
process, which starts and awaits every job over gRPC, so its answers waited on that work: moving
it took klingflow's p95 overhead from 6.8 and 7.8 s to 6.4 and 6.2 s on 200-job bursts, and from
137 and 120 ms to 110 and 114 ms at 2 jobs/s (two runs each, measured by hand; the trivial
workflow calls no provider). At 10 jobs/s and in 1000-job bursts, where the worker's CPU
bounds the overhead, the difference was within the machine's noise: p95 354 and 308 ms in
the benchmark's process against 327 and 258 ms in its own (60 s at 10 jobs/s), 69.8 and 57.7 s
against 62.8 and 61.4 s (1000 jobs), alternated.`;

const pair = (results: ThroughputResult[], jobs: number) => ({
  ours: results.find((result) => result.workload === 'klingflow' && result.jobs === jobs),
  floor: results.find((result) => result.workload === 'trivial' && result.jobs === jobs),
});

export function burstSection(results: ThroughputResult[], renderMs: number): string {
  const rows = results.map((result) => [
    result.workload,
    result.jobs,
    `${result.succeeded}/${result.jobs}`,
    result.wallSeconds,
    result.jobsPerSecond,
    result.overheadP50Ms,
    result.overheadP95Ms,
    result.workerPeakRssMb,
    result.workerCpuSeconds,
    result.cpuMsPerJob,
    result.eventsPerJob,
  ]);
  const jobCounts = [...new Set(results.map((result) => result.jobs))];
  const ratios = jobCounts.flatMap((jobs) => {
    const { ours, floor } = pair(results, jobs);
    if (!ours || !floor) return [];
    return [
      `${jobs} jobs: klingflow's p95 overhead is ${(ours.overheadP95Ms / floor.overheadP95Ms).toFixed(2)}× the trivial workflow's, its jobs/s ${Math.round((ours.jobsPerSecond / floor.jobsPerSecond) * 100)}% of it, its worker CPU per job ${(ours.cpuMsPerJob / floor.cpuMsPerJob).toFixed(2)}× and its peak RSS ${(ours.workerPeakRssMb / floor.workerPeakRssMb).toFixed(2)}×`,
    ];
  });
  const failures = results.flatMap((result) =>
    result.failures.map((failure) => `- ${result.workload}, ${result.jobs} jobs: ${failure}`),
  );
  return `## 1. Throughput and overhead (burst)

All jobs started at once; simulated render ${renderMs / 1000} s; poll interval 1 s; one worker
process and the dev server on this machine. Overhead = end-to-end time (workflow start to
close) minus the render time. The trivial workload is one timer for the render plus one no-op
activity: the engine's floor here.

${MEASURED_HOW}

${PROVIDER_HOW}

${markdownTable(['workload', 'jobs', 'succeeded', 'wall s', 'jobs/s', 'overhead p50 ms', 'overhead p95 ms', 'worker peak RSS MB', 'worker CPU s', 'CPU ms per job', 'history events per job'], rows)}

${ratios.map((ratio) => `- ${ratio}`).join('\n')}
${failures.length > 0 ? `\nJobs that failed, and why (the machine's load slows submits past their timeout; a timed-out submit is never re-sent):\n\n${failures.join('\n')}\n` : ''}`;
}

export function burstTargets(
  results: ThroughputResult[],
  cpuPairs: CpuPair[] = [],
  ownActivity?: OwnActivityCpu,
): Target[] {
  const largest = Math.max(...results.map((result) => result.jobs));
  const { ours, floor } = pair(results, largest);
  if (!ours || !floor) return [];
  const burstRatio = ours.cpuMsPerJob / floor.cpuMsPerJob;
  // Judged by the median of alternated pairs when there are some: one burst each is noise here.
  const median = medianPair(cpuPairs);
  const cpu = median
    ? { ours: median.klingflowMs, floor: median.trivialMs, ratio: median.ratio }
    : { ours: ours.cpuMsPerJob, floor: floor.cpuMsPerJob, ratio: burstRatio };
  // "≤ 15 ms if the engine allows it": it does not when its own floor, one activity and no
  // provider work, already costs more than that.
  const engineAllows15 = cpu.floor <= 15;
  const cpuMet = cpu.ratio <= 2 && (!engineAllows15 || cpu.ours <= 15);
  const pairRatios = cpuPairs.map((each) => each.ratio);
  const burstMeasured = `${ours.cpuMsPerJob} ms (trivial ${floor.cpuMsPerJob} ms, ${burstRatio.toFixed(2)}×; ${largest}-job burst)`;
  const cpuMeasured = median
    ? `${cpu.ours} ms (trivial ${cpu.floor} ms, ${cpu.ratio.toFixed(2)}×; median of ${cpuPairs.length} alternated pairs of ${median.jobs}-job bursts, ratios ${Math.min(...pairRatios).toFixed(2)}–${Math.max(...pairRatios).toFixed(2)}); ${burstMeasured}`
    : burstMeasured;
  // Every burst size, not the most flattering one: on a shared machine the ratio swings.
  const ratios = [...new Set(results.map((result) => result.jobs))].flatMap((jobs) => {
    const both = pair(results, jobs);
    if (!both.ours || !both.floor) return [];
    return [{ jobs, ratio: both.ours.overheadP95Ms / both.floor.overheadP95Ms, ...both }];
  });
  const ratioMet = ratios.every((entry) => entry.ratio <= 1.25);
  return [
    {
      name: 'worker CPU per job',
      target: '≤ 2× trivial and ≤ 15 ms',
      measured: `${cpuMeasured}${engineAllows15 ? '' : `; ≤ 15 ms is below the engine's own floor of ${cpu.floor} ms`}`,
      met: cpuMet,
      ...(cpuMet
        ? {}
        : {
            note: `a klingflow job is ${ours.eventsPerJob} history events and 4 workflow activations (start, the route-planning local activity, submitted, polled and delivered: job-v6 downloads in the poll that finds the task done) against the trivial job's ${floor.eventsPerJob} events and 3 activations, plus 3–4 activity executions (submit, the first-poll wait, a status call or two with the download) and a local activity against 1 activity, and its provider HTTP calls and file writes; most of the CPU is the SDK's cost per activation and per task, and those steps added to the trivial workflow alone cost about 1.5× its CPU (section 2)${ownActivity ? `; klingflow's own activity code is ${ownActivity.cpuMsPerJob} ms of a job, and without any of it the ratio would still be ${withoutOwnCode(cpu.ours, cpu.floor, ownActivity)}× (section 2)` : ''}`,
          }),
    },
    {
      name: 'overhead vs trivial (burst)',
      target: '≤ 1.25×',
      measured: ratios
        .map(
          (entry) =>
            `${entry.ratio.toFixed(2)}× at ${entry.jobs} jobs (p95 ${(entry.ours!.overheadP95Ms / 1000).toFixed(1)} s vs ${(entry.floor!.overheadP95Ms / 1000).toFixed(1)} s)`,
        )
        .join('; '),
      met: ratioMet,
      note: 'one burst per workload, one after the other, on 2 cores shared with other work: the other load differs between the two bursts, so these ratios swing run to run; CPU per job is the steadier comparison',
    },
    {
      name: `overhead p95 at ${largest} jobs`,
      target: '≤ 2 s',
      measured: `${(ours.overheadP95Ms / 1000).toFixed(2)} s`,
      met: ours.overheadP95Ms <= 2000,
      ...(ours.overheadP95Ms <= 2000
        ? {}
        : {
            note: `the trivial workflow has p95 ${(floor.overheadP95Ms / 1000).toFixed(1)} s here: ${largest} starts at once queue in the SQLite dev server on the same 2 cores`,
          }),
    },
  ];
}

export function cpuSection(
  results: ThroughputResult[],
  profile:
    | { functions: ProfileCost[]; areas: ProfileCost[]; busyMs: number; jobs: number }
    | undefined,
  cpuPairs: CpuPair[] = [],
  ownActivity?: OwnActivityCpu,
): string {
  const rows = results.map((result) => [
    result.workload,
    result.jobs,
    result.cpuMsPerJob,
    result.eventsPerJob,
  ]);
  const costRows = (costs: ProfileCost[]) =>
    costs
      .slice(0, 5)
      .map((cost, index) => [
        index + 1,
        cost.what.replaceAll('|', '\\|'),
        `${(cost.share * 100).toFixed(1)}%`,
        cost.milliseconds,
      ]);
  const profiled = profile
    ? `Profile of klingflow's worker over a ${profile.jobs}-job burst (\`node --cpu-prof\`, every
thread; ${profile.busyMs} ms of non-idle samples from the burst's start to the worker's exit, the
worker's own start left out; profiling itself slows the worker). The five largest costs by self
time:

${markdownTable(['#', 'function', 'share', 'ms'], costRows(profile.functions))}

and by where the code lives:

${markdownTable(['#', 'area', 'share', 'ms'], costRows(profile.areas))}

\`runInContext\`, \`postMessage\` and the core bridge are the SDK running a workflow activation
in its sandbox on the workflow thread and passing it to and from Rust; the sandbox's promise hook
captures a stack trace for every promise workflow code creates (\`vm-shared.js\`). klingflow's own
code (activities, provider calls, storage) is not among them: the cost per job follows the
number of workflow activations and activity tasks.`
    : 'No profile in this run (BENCH_PROFILE_JOBS=0).';
  return `## 2. Worker CPU per job

Worker CPU (user + system, every thread) over each burst of section 1, divided by its jobs; the
trivial workflow is the engine's floor for one timer and one activity.

${markdownTable(['workload', 'jobs', 'CPU ms per job', 'history events per job'], rows)}

${pairsText(cpuPairs)}

${ownActivityText(cpuPairs, ownActivity)}

${profiled}

${CPU_DECOMPOSITION}`;
}

/** The ratio left if klingflow's own activity code cost nothing. */
function withoutOwnCode(ours: number, floor: number, own: OwnActivityCpu): string {
  return ((ours - own.cpuMsPerJob) / floor).toFixed(2);
}

function ownActivityText(cpuPairs: CpuPair[], own: OwnActivityCpu | undefined): string {
  if (!own) return "klingflow's own activity code was not measured in this run.";
  const median = medianPair(cpuPairs);
  const without = median
    ? ` Without any of it, the median pair would still be ${withoutOwnCode(median.klingflowMs, median.trivialMs, own)}× the trivial job.`
    : '';
  return `klingflow's own activity code for a polled job (route planning, the submit, the first-poll
wait's attempt, and the poll that finds the task done with its status call, download, sha256,
storage and syncs) costs ${own.cpuMsPerJob} ms of CPU a job, ${own.eventLoopMsPerJob} ms of it on the event loop: called
directly through the SDK's \`MockActivityEnvironment\`, without a server, against the same
simulated provider in another process (bench/own-activity-probe.ts; median of ${own.runs} runs of
${own.jobs} jobs, ${own.concurrency} at a time).${without} The rest of the gap is the SDK's cost per activity
task, local activity and workflow activation, and the garbage collection behind them.`;
}

function pairsText(cpuPairs: CpuPair[]): string {
  const median = medianPair(cpuPairs);
  if (!median) return 'No alternated pairs in this run (BENCH_CPU_PAIRS=0).';
  return `One burst per workload moves by ±15% with whatever else runs on this shared machine, so the
target is judged by alternated pairs: a klingflow burst and a trivial one of ${median.jobs} jobs back
to back, each on a fresh worker, the first workload swapped from pair to pair
(\`BENCH_CPU_PAIRS\`, \`BENCH_CPU_PAIR_JOBS\`). The median pair's ratio is ${median.ratio.toFixed(2)}×.

${markdownTable(
  ['pair', 'first', 'klingflow CPU ms per job', 'trivial CPU ms per job', 'ratio'],
  cpuPairs.map((each, index) => [
    index + 1,
    each.first,
    each.klingflowMs,
    each.trivialMs,
    `${each.ratio.toFixed(2)}×`,
  ]),
)}`;
}

/**
 * What the ≤ 2× gap is made of, measured by hand on 2026-11-30 (300-job bursts, medians of
 * two or more runs; this shared machine moves a run by ±15%). Kept as text: the experiments
 * edit the trivial workflow, so the benchmark cannot repeat them on its own.
 */
const CPU_DECOMPOSITION = `Where klingflow's extra CPU goes, measured by adding klingflow's steps to the trivial workflow
one at a time (2026-11-30, 300-job bursts; the trivial job measured 17.4–19.2 ms then):

${markdownTable(
  ['added to the trivial job', 'CPU ms per job', 'against the trivial job'],
  [
    ['a local activity first (klingflow plans its route in one)', '20.1–21.8', '+2.6'],
    ['an activity before the timer (klingflow submits in one)', '23.6–23.8', '+5'],
    [
      'that activity, then the wait taken as an activity attempt (job-v4) instead of the timer',
      '24.7–25.5',
      '+6.4',
    ],
  ],
)}

So the shape of a klingflow job alone (a local activity, the submit, the first-poll wait as an
activity attempt, then the poll) costs about 1.5× the trivial job before any provider call, file
write or line of klingflow's workflow code; klingflow measured 36–45 ms in the same runs. The
local activity cannot go: only the worker knows which providers have keys, and the submit runs on
the chosen provider's task queue, so the route must be known before it is scheduled. The wait
as an activity attempt costs about 1.4 ms more than a timer but saves a workflow task and its
billable actions (section 5).

Every call into the sandbox starts and joins a thread: the SDK runs each with \`vm\`'s timeout
(its \`isolateExecutionTimeout\`, 5 s; 0 is refused, so it cannot be turned off), and Node
watches each timed call from a new watchdog thread (\`strace\` shows a \`clone3\` per call). An
activation is at least three calls (activate, one \`tryUnblockConditions\` per round that
unblocks something, conclude), plus three per workflow (runtime, start, eviction): replaying a
polled klingflow job's history makes 16 calls, the trivial job's shape 12. A timed call took
42–45 µs of CPU here against under 1 µs without the timeout (a 20,000-call loop of
\`vm.Script.runInContext\`, 2026-12-01), so the watchdog threads cost about 0.7 ms a klingflow job
and 0.5 ms a trivial one: real, but not the gap.

The sandbox's promise hook takes a stack trace, mapped through the bundle's source map, for every
promise workflow code creates (\`vm-shared.js\`): about 22% of the workflow thread's time in a
300-job profile. Counted by hand on 2026-11-30 (a counter in that hook, 50-job bursts), a
klingflow job creates 53 promises, the trivial job 12: one per \`async\` call and \`await\` of
its steps, about 8 for the poll's callback watcher (a cancellation scope and a condition), 4 for
the job-metrics interceptor's watchers and 2 in the SDK per activity. The profile puts each at
about 0.1 ms under profiling, so removing a dozen would save about 1 ms a job at most, and the
watcher is what lets a callback cut a poll short, so they stay. Measured without the hook
(2026-12-01: its \`init\` made to return at once in the installed SDK, by hand, then restored;
four alternated 300-job bursts per workload each way): klingflow 23.4–24.4 ms a job against
25.4–26.6 with it, the trivial job 9.7–10.1 against 10.6–11.9. The hook costs klingflow about
2.3 ms a job and the trivial job about 1.2 ms, and without it the ratio is 2.39× against
2.35×: no cut in the number of promises klingflow's workflow creates can reach 2×.

By thread (read from /proc at the start and end of 300-job bursts, four alternated bursts on
a quiet machine, 2026-11-30; klingflow 32.5–35.5 ms a job, trivial 14.8–15.0):

| thread | klingflow ms per job | trivial ms per job |
| --- | --- | --- |
| main (event loop: activities, provider calls, files, the SDK's task handling) | 11.5–12.6 | 3.8–3.9 |
| the workflow thread (the sandbox) | 9.0–9.4 | 5.1 |
| four other node threads (V8's garbage collection and compiler, libuv's pool) | 5.1–6.0 | 1.2–1.5 |
| the Rust core (\`tokio-runtime-w\`, \`workflow-processing\`) | 5.5–6.1 | 3.8 |

Tried and not kept, each within the run-to-run noise: both workers from compiled JavaScript
instead of tsx (trivial 16.8 ms, klingflow 36–45 ms); klingflow's storage on tmpfs, so no disk
syncs (36–48 ms against 36–42 ms on disk); the poll's callback watcher left pending when the
poll ends, one sandbox call less per job (replay CPU 16.6–18.0 ms against 15.4–17.4 ms);
without the job-metrics workflow interceptor, the activity metrics and log interceptors, or
both (34.1–36.7 ms in eight alternated 300-job bursts, the same as with them); klingflow's
workflow modules loaded once for every workflow (the bundler's \`preloadModules\`) instead of
once per workflow (31.6–32.0 ms against 31.0–38.8 ms); V8's young generation at 64 MB
(\`--max-semi-space-size\`: 39.5–46.2 ms against 41.0–41.3 ms); V8's garbage collection on one
thread for both workers (\`--single-threaded-gc\`, 2026-12-01, 300-job bursts alternated: klingflow
26.6 and 27.2 ms against 27.2, trivial 11.1 and 11.2 ms against 11.0). System time is about a
fifth of either worker's CPU on this machine (5.5 of 26.2 ms a klingflow job, 2.2 of 10.9 ms a
trivial one, same day), so the kernel's share does not explain the gap either.`;

/** What the steady state was waiting on, found from the jobs' histories (issue 15, item 3). */
const STEADY_TIMELINE = `Where the overhead goes, from the jobs' histories (the server's clock; the median job's
of each part, so the parts need not add up to the p50 above; bench/lib/job-timeline.ts):
time in workflow tasks (from scheduled to completed: the task queue, the worker's activations,
with the route-planning local activity inside the first one, and the server's commit), time in
activities (the last attempt's start to completion: provider calls, the download and its
storage), and the overhead minus both: dispatching activity tasks, the server's steps between a
completion and the next task, and how long after the render the status call that found it done
came, less the work done while the provider renders. That last part makes it negative for
klingflow: its render starts inside the submit, so the workflow task after the submit and the
poll's scheduling run during the render and cost the job no time. They did until 2026-11-30,
when the first status call counted its wait from that workflow task instead of from the
provider's answer: about 20 ms later on an idle worker, more on a busy one (the overhead p50 at 2
jobs/s went from 101 to 93 ms over 25 jobs, and this section's p95 at 2, 5 and 10 jobs/s from 131,
233 and 387 ms to 118, 171 and 257 ms in the first run after it, 125, 171 and 300 ms in the
second).`;

const STEADY_CAUSE = `Timed-out tasks: workflow tasks that timed out, activity attempts retried after a timeout and
activities that timed out for good, over all jobs of the rate (bench/lib/timed-out-tasks.ts).
Each costs its job the timeout: 10 s for a workflow task, 30 s for a download or a status
check; a submit that never ran fails its job as ambiguous (never re-sent).

Until the dev server kept its SQLite file in write-ahead-log mode (src/temporal/dev-server.ts),
this section measured klingflow's p95 at 121 s at 5 jobs/s (trivial 6.1 s) with the worker at 6%
of a core. The jobs' histories showed why: neither worker was busy, the time went to tasks that
timed out. In SQLite's default rollback-journal mode every commit syncs the journal and the
database several times; the server commits once per workflow task, activity start and
completion, and a klingflow job is about 19 execution updates (5 workflow tasks and 3 activities)
against the trivial job's 9 (3 and 1), from the server's persistence metrics. At 5 klingflow jobs/s
(10 trivial ones) the writes queued past the server's own deadlines ("Update workflow execution
operation failed: context canceled" in its log), and tasks it recorded as started never reached
the worker: 30–50 timed-out tasks per 150 jobs. WAL mode with \`synchronous=full\` syncs the log
once per commit and still keeps every committed transaction across a power cut.

What was left after that, from the histories of a 5 jobs/s run without timed-out tasks (p95 4.8 s
against the trivial's 0.4 s): no one queue; every step of a klingflow job took longer and there
were twice as many (5 workflow tasks and 3 activities against 3 and 1; about 19 execution updates
a job against 9, plus a visibility write for each of 6 search-attribute updates), so the server's
one SQLite writer saturated first as the rate rose. \`job-v4\` then cut a workflow task (no timer
before the first poll) and three search-attribute updates a job, and \`job-v5\` the final status
update of a job that succeeds; the submit's and the download's first heartbeats went too (each
a server write), and \`job-v6\` a workflow task and an activity (the poll that finds the task
done downloads its video). The table above is measured on that.`;

export function steadySection(results: SteadyStateResult[], renderMs: number): string {
  const ratioLines = steadyPairs(results).map(
    ({ rate, ours, floor }) =>
      `- ${rate} jobs/s: klingflow's p95 overhead ${(ours.overheadP95Ms / floor.overheadP95Ms).toFixed(2)}× the trivial workflow's, CPU per job ${(ours.cpuMsPerJob / floor.cpuMsPerJob).toFixed(2)}×`,
  );
  return `## 3. Steady state

Jobs arriving at a fixed rate (started on a schedule, not all at once) for ${results[0]?.seconds ?? '?'} s per rate,
simulated render ${renderMs / 1000} s, poll interval 1 s; one worker per workload for all rates, lowest rate first,
after 10 warm-up jobs that are not counted.
CPU is the worker's from the first start until the last job of that rate closed.
\`BENCH_STEADY_SECONDS\` sets the duration (180 s by default, as the issue asks),
\`BENCH_STEADY_RATES\` the rates.

klingflow's jobs call the simulated provider in a process of its own, as in section 1.

${markdownTable(
  [
    'workload',
    'jobs/s',
    'jobs',
    'succeeded',
    'overhead p50 ms',
    'overhead p95 ms',
    'overhead max ms',
    'CPU ms per job',
    'worker CPU % of a core',
    'timed-out tasks',
  ],
  results.map((result) => [
    result.workload,
    result.rate,
    result.jobs,
    `${result.succeeded}/${result.jobs}`,
    result.overheadP50Ms,
    result.overheadP95Ms,
    result.overheadMaxMs,
    result.cpuMsPerJob,
    result.cpuPercent,
    result.timedOutTasks,
  ]),
)}

${ratioLines.join('\n')}

${STEADY_TIMELINE}

${markdownTable(
  [
    'workload',
    'jobs/s',
    'workflow tasks',
    'in workflow tasks ms',
    'activities',
    'in activities ms',
    'overhead minus both ms',
  ],
  results.map(({ workload, rate, timeline }) => [
    workload,
    rate,
    timeline.workflowTasks,
    timeline.workflowTaskMs,
    timeline.activities,
    timeline.activityMs,
    timeline.restMs,
  ]),
)}

${STEADY_CAUSE}`;
}

export function steadyTargets(results: SteadyStateResult[]): Target[] {
  const ours = results.find((result) => result.workload === 'klingflow' && result.rate === 5);
  if (!ours) return [];
  const floor = results.find((result) => result.workload === 'trivial' && result.rate === 5);
  const ratio = floor ? ours.overheadP95Ms / floor.overheadP95Ms : Number.NaN;
  const withinTwoSeconds = ours.overheadP95Ms <= 2000 && ours.succeeded === ours.jobs;
  // The issue asks ≤ 1.25× the trivial workflow's overhead at every rate, not only at 5 jobs/s.
  const otherRates = steadyPairs(results)
    .filter(({ rate }) => rate !== 5)
    .map(({ rate, ours, floor }) => ({ rate, ratio: ours.overheadP95Ms / floor.overheadP95Ms }));
  const ratiosMet = ratio <= 1.25 && otherRates.every((other) => other.ratio <= 1.25);
  const met = withinTwoSeconds && ratiosMet;
  const others = otherRates.map((other) => `${other.ratio.toFixed(2)}× at ${other.rate} jobs/s`);
  return [
    {
      name: 'steady-state overhead p95 at 5 jobs/s',
      target: '≤ 2 s (and ≤ 1.25× trivial at every rate)',
      measured: `${(ours.overheadP95Ms / 1000).toFixed(2)} s${floor ? ` (trivial ${(floor.overheadP95Ms / 1000).toFixed(2)} s, ${ratio.toFixed(2)}×)` : ''}${others.length > 0 ? `; ${others.join(', ')}` : ''}`,
      met,
      ...(met
        ? {}
        : {
            note: `${withinTwoSeconds ? `≤ 2 s met${ratiosMet ? '' : ', ≤ 1.25× trivial not at every rate'}` : 'over 2 s'}; ${ours.succeeded}/${ours.jobs} succeeded, ${ours.timedOutTasks} timed-out tasks; the worker used ${Math.round(ours.cpuPercent)}% of a core (${ours.cpuMsPerJob} ms a job). A klingflow job is 3 workflow tasks and 2 activities (plus the first-poll wait, an activity attempt) one after the other against the trivial job's 3 and 1, each a server round trip and commit, and its worker CPU per job ${floor ? `${(ours.cpuMsPerJob / floor.cpuMsPerJob).toFixed(1)}× the trivial's` : "more than the trivial's"} (sections 2 and 3): a fraction of a second more per job, which the ratio makes large where the trivial job's overhead is itself a fraction of a second${ours.seconds < 180 ? `. Measured over ${ours.seconds} s per rate, not the 3 minutes the issue asks` : ''}`,
          }),
    },
  ];
}

/** klingflow's and the trivial workflow's results at each rate both were measured at. */
function steadyPairs(
  results: SteadyStateResult[],
): { rate: number; ours: SteadyStateResult; floor: SteadyStateResult }[] {
  return results.flatMap((ours) => {
    if (ours.workload !== 'klingflow') return [];
    const floor = results.find(
      (result) => result.workload === 'trivial' && result.rate === ours.rate,
    );
    return floor ? [{ rate: ours.rate, ours, floor }] : [];
  });
}

export function scalingSection(points: ScalingPoint[]): string {
  const slope = scalingSlope(points.filter((point) => point.workload === 'klingflow'));
  return `## 4. Scaling with in-flight jobs

N klingflow jobs in flight at once (submitted, then sleeping through a render far longer than
the measurement), one fresh worker per N: its RSS once every job is in flight and the worker is
quiet, the CPU it took to get them there, and its CPU while they wait. The SDK keeps up to
~2,300 workflows in its cache on a 4 GB V8 heap (maxCachedWorkflows' default); beyond that,
waiting workflows are evicted and replayed when they wake.

${markdownTable(
  [
    'workload',
    'started',
    'in flight',
    'idle RSS MB',
    'RSS MB',
    'CPU ms per job to in flight',
    'CPU % while waiting',
    's to in flight',
  ],
  points.map((point) => [
    point.workload,
    point.started,
    point.inFlight,
    point.idleRssMb,
    point.rssMb,
    point.cpuMsPerJob,
    point.waitingCpuPercent,
    point.secondsToInFlight,
  ]),
)}

${slope ? `Slope: ${slope.kbPerJob} KB of RSS per in-flight job over a ${slope.baseMb} MB base, so one worker holds about ${Number.isFinite(slope.jobsIn) ? slope.jobsIn.toLocaleString('en-US') : 'an unbounded number of'} in-flight jobs in 1 GB.` : ''}`;
}

export function scalingTargets(points: ScalingPoint[]): Target[] {
  const point = points.find(
    (candidate) => candidate.workload === 'klingflow' && candidate.started === 1000,
  );
  if (!point) return [];
  return [
    {
      name: 'worker RSS at 1000 in-flight jobs',
      target: '≤ 1 GB',
      measured: `${point.rssMb} MB`,
      met: point.rssMb <= 1024,
    },
  ];
}
