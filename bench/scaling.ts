import { megabytes } from './lib/process-stats.js';
import { type RunningWorkload, round, startWorkload, type WorkloadName } from './lib/workload.js';

export interface ScalingPoint {
  workload: WorkloadName;
  /** Jobs in flight: submitted and sleeping until their (long) render is done. */
  inFlight: number;
  /** Jobs started (more than in flight when a submit failed). */
  started: number;
  /** Worker RSS with all of them in flight, after the starts settled. */
  rssMb: number;
  /** RSS of the same worker before the first start. */
  idleRssMb: number;
  /** CPU to bring them in flight (start, plan, submit, timer), per job. */
  cpuMsPerJob: number;
  /** CPU while they all wait, as a share of one core. */
  waitingCpuPercent: number;
  secondsToInFlight: number;
}

/** A render far longer than the measurement: every job stays in flight until terminated. */
const RENDER_MS = 60 * 60_000;

/**
 * Worker memory and CPU with N jobs in flight at once, one fresh worker per N. The jobs are
 * terminated afterwards so the next N starts from an empty server.
 */
export async function measureScaling(options: {
  address: string;
  workload: WorkloadName;
  inFlight: number[];
  log: (message: string) => void;
}): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  for (const count of options.inFlight) {
    options.log(`scaling: ${count} ${options.workload} jobs in flight`);
    const workload = await startWorkload({
      address: options.address,
      workload: options.workload,
      renderMs: RENDER_MS,
      pollIntervalMs: 10_000,
    });
    try {
      points.push(await bringInFlight(workload, count));
    } finally {
      await terminateAll(workload, count);
      await workload.close();
    }
  }
  return points;
}

async function bringInFlight(workload: RunningWorkload, count: number): Promise<ScalingPoint> {
  const idle = workload.monitor.now();
  const started = Date.now();
  for (let first = 0; first < count; first += 100) {
    const batch = Array.from({ length: Math.min(100, count - first) }, (_, offset) =>
      workload.start(first + offset),
    );
    await Promise.all(batch);
  }
  // In flight: klingflow's jobs have a task at the fake (then sleep); the trivial one sleeps
  // on its timer from its first workflow task. Then wait for the worker to go quiet.
  let inFlightJobs = count;
  if (workload.name === 'klingflow') {
    // A job whose submit failed never gets there: stop once no task came for a minute.
    let progressAt = Date.now();
    let seen = 0;
    while (seen < count && Date.now() - progressAt < 60_000) {
      await sleep(500);
      const created = await workload.providers.tasksCreated();
      if (created > seen) [seen, progressAt] = [created, Date.now()];
    }
    inFlightJobs = seen;
  }
  await untilQuiet(workload);
  const inFlight = workload.monitor.now();
  const secondsToInFlight = (Date.now() - started) / 1000;
  await sleep(10_000);
  const waiting = workload.monitor.now();
  return {
    workload: workload.name,
    started: count,
    inFlight: inFlightJobs,
    rssMb: megabytes(inFlight?.rssBytes ?? 0),
    idleRssMb: megabytes(idle?.rssBytes ?? 0),
    cpuMsPerJob: round((((inFlight?.cpuSeconds ?? 0) - (idle?.cpuSeconds ?? 0)) * 1000) / count, 1),
    waitingCpuPercent: round(
      (((waiting?.cpuSeconds ?? 0) - (inFlight?.cpuSeconds ?? 0)) / 10) * 100,
      1,
    ),
    secondsToInFlight: round(secondsToInFlight, 1),
  };
}

/** Until the worker used under 5% of a core over two seconds (its workflow tasks are done). */
async function untilQuiet(workload: RunningWorkload): Promise<void> {
  let last = workload.monitor.now()?.cpuSeconds ?? 0;
  for (;;) {
    await sleep(2_000);
    const now = workload.monitor.now()?.cpuSeconds ?? 0;
    if (now - last < 0.1) return;
    last = now;
  }
}

async function terminateAll(workload: RunningWorkload, count: number): Promise<void> {
  for (let first = 0; first < count; first += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - first) }, (_, offset) =>
        workload.client.workflow
          .getHandle(`${workload.taskQueue}-${first + offset}`)
          .terminate('benchmark done')
          .catch(() => {}),
      ),
    );
  }
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Memory per in-flight job between the smallest and largest N, and how many fit in `mb`. */
export function scalingSlope(points: ScalingPoint[], mb = 1024) {
  const sorted = [...points].sort((left, right) => left.inFlight - right.inFlight);
  const low = sorted[0];
  const high = sorted.at(-1);
  if (!low || !high || high.inFlight === low.inFlight) return undefined;
  const mbPerJob = (high.rssMb - low.rssMb) / (high.inFlight - low.inFlight);
  const baseMb = low.rssMb - mbPerJob * low.inFlight;
  return {
    kbPerJob: round(mbPerJob * 1024, 0),
    baseMb: round(baseMb, 0),
    jobsIn: mbPerJob > 0 ? Math.floor((mb - baseMb) / mbPerJob) : Number.POSITIVE_INFINITY,
  };
}
