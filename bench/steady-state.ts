import type { WorkflowHandle } from '@temporalio/client';
import { type JobTimeline, jobTimeline, medianTimeline } from './lib/job-timeline.js';
import { percentile } from './lib/process-stats.js';
import { timedOutTasks } from './lib/timed-out-tasks.js';
import {
  jobOutcome,
  overheads,
  type RunningWorkload,
  round,
  startWorkload,
  type WorkloadName,
} from './lib/workload.js';

export interface SteadyStateResult {
  workload: WorkloadName;
  /** Jobs started per second. */
  rate: number;
  seconds: number;
  jobs: number;
  succeeded: number;
  overheadP50Ms: number;
  overheadP95Ms: number;
  /** Start-to-close time of the slowest job, minus the render. */
  overheadMaxMs: number;
  /** Worker CPU from the first start until the last job closed, per job. */
  cpuMsPerJob: number;
  /** The same CPU as a share of one core over that time. */
  cpuPercent: number;
  /** Tasks that came back only through a timeout, over all jobs (timed-out-tasks.ts). */
  timedOutTasks: number;
  /** Where the overhead went, the median job's of each part (job-timeline.ts). */
  timeline: JobTimeline;
}

const WARM_UP_JOBS = 10;

/**
 * Jobs arriving at a fixed rate for a while (not all at once), one worker per workload for all
 * rates, lowest rate first: the overhead a steady load sees, and the worker's CPU per job.
 */
export async function measureSteadyState(options: {
  address: string;
  workload: WorkloadName;
  rates: number[];
  seconds: number;
  renderMs: number;
  pollIntervalMs: number;
  log: (message: string) => void;
}): Promise<SteadyStateResult[]> {
  const workload = await startWorkload(options);
  const results: SteadyStateResult[] = [];
  let next = WARM_UP_JOBS;
  try {
    // A fresh worker compiles and loads code on its first jobs; those are not the steady state.
    await Promise.all(
      Array.from({ length: WARM_UP_JOBS }, (_, index) => workload.start(index).then(jobOutcome)),
    );
    for (const rate of options.rates) {
      options.log(`steady state: ${options.workload} at ${rate} jobs/s for ${options.seconds} s`);
      const jobs = Math.max(1, Math.round(rate * options.seconds));
      results.push(await oneRate(workload, { ...options, rate, jobs, first: next }));
      next += jobs;
    }
  } finally {
    await workload.close();
  }
  return results;
}

async function oneRate(
  workload: RunningWorkload,
  options: { rate: number; jobs: number; first: number; seconds: number; renderMs: number },
): Promise<SteadyStateResult> {
  const before = workload.monitor.now();
  const started = Date.now();
  const outcomes: ReturnType<typeof jobOutcome>[] = [];
  const handles: Promise<WorkflowHandle | undefined>[] = [];
  for (let index = 0; index < options.jobs; index++) {
    // On a schedule, not after the previous start: a slow start does not lower the rate.
    const due = started + (index * 1000) / options.rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const handle = workload.start(options.first + index);
    handles.push(handle.catch(() => undefined));
    outcomes.push(
      handle.then(jobOutcome, () => ({
        ok: false,
        endToEndMs: Number.NaN,
        closedAt: Date.now(),
        events: 0,
        error: 'start failed',
      })),
    );
  }
  const settled = await Promise.all(outcomes);
  const after = workload.monitor.now();
  const cpuSeconds = (after?.cpuSeconds ?? 0) - (before?.cpuSeconds ?? 0);
  const wallSeconds = (Date.now() - started) / 1000;
  // Read after the CPU sample and before the next rate, so neither is charged for it.
  const histories = await readHistories(await Promise.all(handles), options.renderMs);
  const overhead = overheads(settled, options.renderMs);
  const values = settled
    .filter((outcome) => outcome.ok)
    .map((outcome) => outcome.endToEndMs - options.renderMs);
  return {
    workload: workload.name,
    rate: options.rate,
    seconds: options.seconds,
    jobs: options.jobs,
    succeeded: settled.filter((outcome) => outcome.ok).length,
    overheadP50Ms: overhead.p50Ms,
    overheadP95Ms: overhead.p95Ms,
    overheadMaxMs: Math.round(percentile(values, 1)),
    cpuMsPerJob: round((cpuSeconds * 1000) / options.jobs, 1),
    cpuPercent: round((cpuSeconds / wallSeconds) * 100, 0),
    timedOutTasks: histories.timedOutTasks,
    timeline: histories.timeline,
  };
}

/**
 * Timed-out tasks over the jobs' histories, and the median timeline of the jobs that succeeded,
 * a few histories at a time.
 */
async function readHistories(
  handles: (WorkflowHandle | undefined)[],
  renderMs: number,
): Promise<{ timedOutTasks: number; timeline: JobTimeline }> {
  let total = 0;
  const timelines: JobTimeline[] = [];
  const started = handles.filter((handle) => handle !== undefined);
  for (let index = 0; index < started.length; index += 10) {
    const histories = await Promise.all(
      started.slice(index, index + 10).map((handle) => handle.fetchHistory()),
    );
    for (const history of histories) {
      const events = history.events ?? [];
      total += timedOutTasks(events);
      if (events.at(-1)?.workflowExecutionCompletedEventAttributes)
        timelines.push(jobTimeline(events, renderMs));
    }
  }
  return { timedOutTasks: total, timeline: medianTimeline(timelines) };
}
