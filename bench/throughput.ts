import { megabytes } from './lib/process-stats.js';
import { jobOutcome, overheads, round, startWorkload, type WorkloadName } from './lib/workload.js';

export interface ThroughputResult {
  workload: WorkloadName;
  jobs: number;
  renderMs: number;
  succeeded: number;
  wallSeconds: number;
  jobsPerSecond: number;
  overheadP50Ms: number;
  overheadP95Ms: number;
  workerPeakRssMb: number;
  workerCpuSeconds: number;
  /** Worker CPU divided by the jobs that ran. */
  cpuMsPerJob: number;
  /** Mean history events of a succeeded job. */
  eventsPerJob: number;
  /** Distinct reasons of failed jobs. */
  failures: string[];
  /** How long the worker took to stop after the last job (a graceful stop). */
  stopSeconds: number;
}

/**
 * N generations started at once on the simulated providers with a fixed render time, one
 * worker process and the dev server. Overhead = end-to-end time minus the render time.
 */
export async function measureThroughput(options: {
  address: string;
  jobs: number;
  renderMs: number;
  pollIntervalMs: number;
  workload: WorkloadName;
  nodeArguments?: string[];
}): Promise<ThroughputResult> {
  const workload = await startWorkload(options);
  let result: Omit<ThroughputResult, 'stopSeconds'>;
  try {
    const started = Date.now();
    const handles = await Promise.all(
      Array.from({ length: options.jobs }, (_, index) => workload.start(index)),
    );
    const outcomes = await Promise.all(handles.map(jobOutcome));
    const stats = workload.monitor.stop();
    const succeeded = outcomes.filter((outcome) => outcome.ok).length;
    const wallSeconds = (Math.max(...outcomes.map((outcome) => outcome.closedAt)) - started) / 1000;
    const overhead = overheads(outcomes, options.renderMs);
    result = {
      workload: options.workload,
      jobs: options.jobs,
      renderMs: options.renderMs,
      succeeded,
      wallSeconds: round(wallSeconds),
      jobsPerSecond: round(succeeded / wallSeconds),
      overheadP50Ms: overhead.p50Ms,
      overheadP95Ms: overhead.p95Ms,
      workerPeakRssMb: megabytes(stats.peakRssBytes),
      workerCpuSeconds: round(stats.cpuSeconds),
      cpuMsPerJob: round((stats.cpuSeconds * 1000) / options.jobs, 1),
      eventsPerJob: round(
        outcomes.reduce((sum, outcome) => sum + outcome.events, 0) / Math.max(1, succeeded),
        1,
      ),
      failures: [...new Set(outcomes.flatMap((outcome) => outcome.error ?? []))],
    };
  } catch (error) {
    await workload.close();
    throw error;
  }
  const stopping = Date.now();
  await workload.close();
  return { ...result, stopSeconds: (Date.now() - stopping) / 1000 };
}
