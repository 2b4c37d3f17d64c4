import { Counter, Histogram, Registry } from 'prom-client';
import type { DownloadedVideo } from '../activities/download-video.js';
import type { PlanRouteInput } from '../activities/plan-route.js';
import type { PollOutput, SubmitInput, SubmitOutput } from '../workflows/generation-types.js';

/**
 * klingflow's business metrics, in one registry per process. They are recorded from activity
 * inputs and results by the activity interceptor (metrics-interceptor.ts), so workflow code
 * stays free of them and a replayed workflow never counts twice. Labels are ids and outcomes
 * only: never a prompt, a URL or a key.
 */
export class KlingflowMetrics {
  readonly registry = new Registry();
  private readonly jobsStarted = new Counter({
    name: 'klingflow_jobs_started_total',
    help: 'Jobs that planned a route (one per job start), by model and mode',
    labelNames: ['model', 'mode'],
    registers: [this.registry],
  });
  private readonly tasksSubmitted = new Counter({
    name: 'klingflow_provider_tasks_total',
    help: 'Tasks a provider accepted (each is billed), by provider and model',
    labelNames: ['provider', 'model'],
    registers: [this.registry],
  });
  private readonly taskOutcomes = new Counter({
    name: 'klingflow_provider_task_outcomes_total',
    help: 'Terminal task states reported by providers, by provider and state',
    labelNames: ['provider', 'state'],
    registers: [this.registry],
  });
  private readonly activities = new Counter({
    name: 'klingflow_activity_executions_total',
    help: 'Activity attempts by activity and outcome (completed, failed)',
    labelNames: ['activity', 'outcome'],
    registers: [this.registry],
  });
  private readonly downloadBytes = new Counter({
    name: 'klingflow_download_bytes_total',
    help: 'Bytes of finished video downloads',
    registers: [this.registry],
  });
  private readonly downloadSeconds = new Histogram({
    name: 'klingflow_download_seconds',
    help: 'Duration of download attempts that finished a video',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  private readonly videosStored = new Counter({
    name: 'klingflow_videos_stored_total',
    help: 'Videos verified and stored',
    registers: [this.registry],
  });

  /** Called once per activity attempt with its input and its result or error. */
  record(activity: string, input: unknown, outcome: ActivityOutcome): void {
    this.activities.inc({ activity, outcome: outcome.failed ? 'failed' : 'completed' });
    if (outcome.failed) return;
    if (activity === 'planRoute') {
      const { request } = input as PlanRouteInput;
      this.jobsStarted.inc({ model: request.model, mode: request.mode ?? '' });
    } else if (activity === 'submitTask' || activity === 'findTask') {
      // findTask returns null when the provider has no task: nothing was billed.
      if (outcome.result === null) return;
      const submit = input as SubmitInput;
      if (activity === 'submitTask' || (outcome.result as SubmitOutput | undefined)?.taskId)
        this.tasksSubmitted.inc({ provider: submit.provider, model: submit.request.model });
    } else if (activity === 'checkTask') {
      const { status } = outcome.result as PollOutput;
      const provider = (input as { handle: { provider: string } }).handle.provider;
      if (status.state === 'succeeded' || status.state === 'failed')
        this.taskOutcomes.inc({ provider, state: status.state });
    } else if (activity === 'downloadVideo') {
      this.downloadBytes.inc((outcome.result as DownloadedVideo).bytes);
      this.downloadSeconds.observe(outcome.seconds);
    } else if (activity === 'storeVideo') {
      this.videosStored.inc();
    }
  }
}

export type ActivityOutcome =
  | { failed: false; result: unknown; seconds: number }
  | { failed: true; seconds: number };

/** The process's metrics: workers record into it, the /metrics endpoint reads it. */
export const klingflowMetrics = new KlingflowMetrics();
