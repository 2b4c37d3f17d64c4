import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DownloadedVideo } from '../activities/download-video.js';
import type { PlanRouteInput } from '../activities/plan-route.js';
import type { PollOutput, RoutePlan, SubmitInput, SubmitOutput } from '../contracts/generation.js';
import type { JobReport } from './job-report.js';
import { TaskTimings } from './task-timings.js';

/** Renders take minutes; detection windows are about one poll interval. */
const RENDER_BUCKETS = [15, 30, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1800];
const DETECTION_BUCKETS = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300];

/**
 * klingflow's business metrics, in one registry per process. Activity-level ones are recorded
 * from activity inputs and results by the activity interceptor (metrics-interceptor.ts), job-level
 * ones from the workflow interceptor's sink (job-events.ts), so workflow code stays free of them
 * and a replayed workflow never counts twice. Labels are ids, kinds and outcomes only: never a
 * prompt, a URL or a key.
 */
export class KlingflowMetrics {
  readonly registry = new Registry();
  private readonly counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [this.registry] });
  private readonly jobsStarted = this.counter(
    'klingflow_jobs_started_total',
    'Jobs that planned a route, by first-choice provider (none: nothing can serve it), model and mode',
    ['provider', 'model', 'mode'],
  );
  private readonly jobsEnded = this.counter(
    'klingflow_jobs_ended_total',
    'Jobs that ended, by the provider of their last attempt, model and outcome',
    ['provider', 'model', 'outcome'],
  );
  private readonly failovers = this.counter(
    'klingflow_failovers_total',
    'Moves to the next provider after a failed attempt, by provider left, provider tried next and error kind',
    ['from', 'to', 'reason'],
  );
  private readonly spend = this.counter(
    'klingflow_estimated_spend_total',
    'Estimated cost of the tasks of ended jobs (the spend ledger), by provider and price unit',
    ['provider', 'unit'],
  );
  private readonly tasksSubmitted = this.counter(
    'klingflow_provider_tasks_total',
    'Tasks a provider accepted (each is billed), by provider and model',
    ['provider', 'model'],
  );
  private readonly taskOutcomes = this.counter(
    'klingflow_provider_task_outcomes_total',
    'Terminal task states reported by providers, by provider and state',
    ['provider', 'state'],
  );
  private readonly httpResponses = this.counter(
    'klingflow_provider_http_responses_total',
    'Provider HTTP calls by provider and status class (2xx … 5xx, or error when no answer came)',
    ['provider', 'class'],
  );
  private readonly activities = this.counter(
    'klingflow_activity_executions_total',
    'Activity attempts by activity and outcome (completed, failed, not-ready: a poll that found the task still rendering)',
    ['activity', 'outcome'],
  );
  private readonly downloadBytes = this.counter(
    'klingflow_download_bytes_total',
    'Bytes of finished video downloads',
  );
  private readonly videosStored = this.counter(
    'klingflow_videos_stored_total',
    'Videos verified and stored',
  );
  private readonly downloadSeconds = new Histogram({
    name: 'klingflow_download_seconds',
    help: 'Duration of download attempts that finished a video',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  private readonly renderSeconds = new Histogram({
    name: 'klingflow_render_seconds',
    help: 'From the provider accepting a task to the status call that saw it finished, by provider and final state',
    labelNames: ['provider', 'state'],
    buckets: RENDER_BUCKETS,
    registers: [this.registry],
  });
  private readonly detectionSeconds = new Histogram({
    name: 'klingflow_detection_latency_seconds',
    help: 'How long a finished task may have gone unnoticed: from the last "still rendering" answer to the "finished" one, by provider',
    labelNames: ['provider'],
    buckets: DETECTION_BUCKETS,
    registers: [this.registry],
  });
  /** Tasks accepted and not yet settled, per workflow run (see job-events.ts). */
  readonly inFlight = new Map<string, { provider: string; since: number }>();
  private readonly timings = new TaskTimings();

  constructor() {
    const inFlight = this.inFlight;
    // A provider once seen stays at 0 rather than vanishing from the scrape.
    const seen = new Set<string>();
    new Gauge({
      name: 'klingflow_tasks_in_flight',
      help: 'Provider tasks accepted and not yet finished, for the jobs this worker runs, by provider',
      labelNames: ['provider'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { provider } of inFlight.values()) seen.add(provider);
        for (const provider of seen)
          this.set(
            { provider },
            [...inFlight.values()].filter((task) => task.provider === provider).length,
          );
      },
    });
  }

  /** Called once per activity attempt with its input and its result or error. */
  record(activity: string, input: unknown, outcome: ActivityOutcome): void {
    const result = !outcome.failed ? 'completed' : outcome.notReady ? 'not-ready' : 'failed';
    this.activities.inc({ activity, outcome: result });
    if (activity === 'checkTask') {
      this.recordCheck(input, outcome);
      const stored = outcome.failed ? undefined : (outcome.result as PollOutput).stored;
      // A poll that delivered the video (`job-v6`): the attempt's time is mostly the download's.
      if (stored) this.recordDelivery(stored.bytes, outcome.seconds);
      return;
    }
    if (outcome.failed) return;
    if (activity === 'planRoute') {
      const { request } = input as PlanRouteInput;
      const first = (outcome.result as RoutePlan | undefined)?.route[0]?.provider ?? 'none';
      this.jobsStarted.inc({ provider: first, model: request.model, mode: request.mode ?? '' });
    } else if (activity === 'submitTask' || activity === 'findTask') {
      // findTask returns null when the provider has no task: nothing was billed.
      const result = outcome.result as SubmitOutput | null;
      if (!result?.taskId) return;
      const submit = input as SubmitInput;
      // A found task is one an ambiguous (uncounted) submit created.
      this.tasksSubmitted.inc({ provider: submit.provider, model: submit.request.model });
    } else if (activity === 'downloadVideo') {
      this.downloadBytes.inc((outcome.result as DownloadedVideo).bytes);
      this.downloadSeconds.observe(outcome.seconds);
    } else if (activity === 'storeVideo') {
      this.videosStored.inc();
    } else if (activity === 'downloadVideoToStorage') {
      // Download and store in one activity (jobs since `patched('store-in-download')`).
      this.recordDelivery((outcome.result as DownloadedVideo).bytes, outcome.seconds);
    }
  }

  private recordDelivery(bytes: number, seconds: number): void {
    this.downloadBytes.inc(bytes);
    this.downloadSeconds.observe(seconds);
    this.videosStored.inc();
  }

  private recordCheck(input: unknown, outcome: ActivityOutcome): void {
    const { provider, taskId } = (input as { handle: { provider: string; taskId: string } }).handle;
    // Polling by retry answers "still rendering" with a benign TaskNotReady failure.
    const finished = outcome.failed ? undefined : (outcome.result as PollOutput).status.state;
    if (finished !== 'succeeded' && finished !== 'failed') {
      if (!outcome.failed || outcome.notReady) this.timings.stillRendering(provider, taskId);
      return;
    }
    this.taskOutcomes.inc({ provider, state: finished });
    const window = this.timings.finished(provider, taskId);
    if (window !== undefined) this.detectionSeconds.observe({ provider }, window);
  }

  /** One provider HTTP call ended with `status`, or with no answer. */
  providerResponse(provider: string, status: number | undefined): void {
    const statusClass = status === undefined ? 'error' : `${Math.floor(status / 100)}xx`;
    this.httpResponses.inc({ provider, class: statusClass });
  }

  taskRendered(provider: string, state: string, seconds: number): void {
    this.renderSeconds.observe({ provider, state }, seconds);
  }

  jobEnded(report: JobReport): void {
    const { provider, model, outcome } = report;
    this.jobsEnded.inc({ provider, model, outcome });
    for (const failover of report.failovers) this.failovers.inc(failover);
    for (const task of report.spend)
      this.spend.inc({ provider: task.provider, unit: task.unit }, task.amount);
  }
}

export type ActivityOutcome =
  | { failed: false; result: unknown; seconds: number }
  | { failed: true; seconds: number; notReady?: boolean };

/** The process's metrics: workers record into it, the /metrics endpoint reads it. */
export const klingflowMetrics = new KlingflowMetrics();
