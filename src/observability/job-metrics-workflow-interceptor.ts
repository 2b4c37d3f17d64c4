/**
 * Workflow interceptor module (bundled into workflow code, registered by the worker through
 * `interceptors.workflowModules` and the bundler's `workflowInterceptorModules`): reports what
 * generation jobs do to the worker's metrics through the `klingflowJobs` sink, without a line
 * in the workflow itself. It only watches: results and errors pass through untouched, on the
 * very promises the workflow awaits, so commands and their order are those of the workflow.
 */
import {
  ApplicationFailure,
  isCancellation,
  proxySinks,
  TemporalFailure,
  type WorkflowInterceptors,
  workflowInfo,
} from '@temporalio/workflow';
import {
  FailureTypes,
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
  type PollOutput,
  type RoutePlan,
  type SubmitInput,
  type SubmitOutput,
} from '../contracts/generation.js';
import { bareReport, type KlingflowSinks, reportJob } from './job-report.js';

const { klingflowJobs } = proxySinks<KlingflowSinks>();

export const interceptors = (): WorkflowInterceptors => {
  if (workflowInfo().workflowType !== GENERATE_VIDEO_WORKFLOW) return {};
  const job = new JobWatch();
  /** Watches `running` without changing it: the workflow awaits the very same promise. */
  const watch = <T>(
    running: Promise<T>,
    onResult: (value: T) => void,
    onError: (error: unknown) => void = () => {},
  ) => {
    running.then(
      (value) => safely(() => onResult(value)),
      (error: unknown) => safely(() => onError(error)),
    );
    return running;
  };
  return {
    inbound: [
      {
        execute(input, next) {
          const request = (input.args[0] as GenerateVideoInput | undefined)?.request;
          return watch(
            next(input),
            (result) => job.succeeded(result as GenerationStatus),
            (error: unknown) => job.failed(error, request),
          );
        },
      },
    ],
    outbound: [
      {
        scheduleLocalActivity(input, next) {
          if (input.activityType !== 'planRoute') return next(input);
          return watch(next(input), (plan) => job.planned(plan as RoutePlan));
        },
        scheduleActivity(input, next) {
          if (input.activityType === 'submitTask') job.submitting(input.args[0] as SubmitInput);
          return watch(next(input), (result) =>
            job.activityDone(input.activityType, input.args[0], result),
          );
        },
      },
    ],
  };
};

/** What one run has seen so far; its events go out through the sink as they happen. */
class JobWatch {
  /** Tasks accepted and not yet finished: taskId → provider and workflow time of acceptance. */
  private readonly accepted = new Map<string, { provider: string; at: number }>();
  /** Every task a provider accepted in this run, and the route's prices, for a cancelled job. */
  private readonly paid = new Map<string, string>();
  private readonly prices = new Map<string, { amount: number; unit: string }>();
  private lastProvider: string | undefined;

  planned(plan: RoutePlan): void {
    for (const { provider, price } of plan.route)
      this.prices.set(provider, { amount: price.amount, unit: price.unit });
  }

  submitting(input: SubmitInput): void {
    this.lastProvider = input.provider;
  }

  activityDone(type: string, input: unknown, result: unknown): void {
    if ((type === 'submitTask' || type === 'findTask') && result) {
      const { provider } = input as SubmitInput;
      const { taskId } = result as SubmitOutput;
      this.accepted.set(taskId, { provider, at: Date.now() });
      this.paid.set(taskId, provider);
      klingflowJobs.taskAccepted(provider, taskId);
    } else if (type === 'checkTask') {
      const { state } = (result as PollOutput).status;
      const { taskId } = (input as { handle: { taskId: string } }).handle;
      const task = this.accepted.get(taskId);
      if ((state !== 'succeeded' && state !== 'failed') || !task) return;
      this.accepted.delete(taskId);
      klingflowJobs.taskRendered(task.provider, state, (Date.now() - task.at) / 1000);
      klingflowJobs.taskSettled(taskId);
    }
  }

  succeeded(result: GenerationStatus): void {
    klingflowJobs.runEnded();
    klingflowJobs.jobEnded(reportJob(result, 'succeeded'));
  }

  failed(error: unknown, request: GenerateVideoInput['request'] | undefined): void {
    // Anything but a Temporal failure fails the workflow task, not the job: it is retried, and
    // reported when the job really ends.
    if (!(error instanceof TemporalFailure)) return;
    klingflowJobs.runEnded();
    const status = finalStatus(error);
    const outcome = isCancellation(error) ? 'cancelled' : 'failed';
    if (status) {
      klingflowJobs.jobEnded(reportJob(status, outcome));
      return;
    }
    const spend = [...this.paid.values()].flatMap((provider) => {
      const price = this.prices.get(provider);
      return price ? [{ provider, ...price }] : [];
    });
    klingflowJobs.jobEnded(bareReport(request, outcome, this.lastProvider, spend));
  }
}

/** The status a failed job carries in its failure's details (see generate-video.ts `fail`). */
function finalStatus(error: unknown): GenerationStatus | undefined {
  if (!(error instanceof ApplicationFailure) || error.type !== FailureTypes.generationFailed)
    return undefined;
  const status = error.details?.[0] as GenerationStatus | undefined;
  return status && Array.isArray(status.attempts) ? status : undefined;
}

/** A report that cannot be made (an unexpected shape) is skipped, never a failed workflow task. */
function safely(report: () => void): void {
  try {
    report();
  } catch {
    // Metrics are not worth a stuck job.
  }
}
