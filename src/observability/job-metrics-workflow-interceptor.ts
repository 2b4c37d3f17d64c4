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
} from '../workflows/generation-types.js';
import { bareReport, type KlingflowSinks, reportJob } from './job-report.js';

const { klingflowJobs } = proxySinks<KlingflowSinks>();

export const interceptors = (): WorkflowInterceptors => {
  if (workflowInfo().workflowType !== GENERATE_VIDEO_WORKFLOW) return {};
  /** Tasks accepted in this run: taskId → provider and workflow time of acceptance. */
  const accepted = new Map<string, { provider: string; at: number }>();
  /** Every task a provider accepted in this run, and the route's prices, for a cancelled job. */
  const paid = new Map<string, string>();
  const prices = new Map<string, { amount: number; unit: string }>();
  let lastProvider: string | undefined;

  const observeActivity = (type: string, args: unknown[], result: unknown) => {
    if ((type === 'submitTask' || type === 'findTask') && result) {
      const { provider } = args[0] as SubmitInput;
      const { taskId } = result as SubmitOutput;
      accepted.set(taskId, { provider, at: Date.now() });
      paid.set(taskId, provider);
      klingflowJobs.taskAccepted(provider, taskId);
    } else if (type === 'checkTask') {
      const { status } = result as PollOutput;
      const { taskId } = (args[0] as { handle: { taskId: string } }).handle;
      const task = accepted.get(taskId);
      if ((status.state !== 'succeeded' && status.state !== 'failed') || !task) return;
      accepted.delete(taskId);
      klingflowJobs.taskRendered(task.provider, status.state, (Date.now() - task.at) / 1000);
      klingflowJobs.taskSettled(taskId);
    }
  };

  return {
    inbound: [
      {
        execute(input, next) {
          const request = (input.args[0] as GenerateVideoInput | undefined)?.request;
          const running = next(input);
          running.then(
            (result) =>
              safely(() => {
                klingflowJobs.runEnded();
                klingflowJobs.jobEnded(reportJob(result as GenerationStatus, 'succeeded'));
              }),
            (error: unknown) =>
              safely(() => {
                // Anything but a Temporal failure fails the workflow task, not the job: it is
                // retried, and reported when the job really ends.
                if (!(error instanceof TemporalFailure)) return;
                klingflowJobs.runEnded();
                const status = finalStatus(error);
                const outcome = isCancellation(error) ? 'cancelled' : 'failed';
                const spend = [...paid.values()].flatMap((provider) => {
                  const price = prices.get(provider);
                  return price ? [{ provider, ...price }] : [];
                });
                klingflowJobs.jobEnded(
                  status
                    ? reportJob(status, outcome)
                    : bareReport(request, outcome, lastProvider, spend),
                );
              }),
          );
          return running;
        },
      },
    ],
    outbound: [
      {
        scheduleLocalActivity(input, next) {
          const running = next(input);
          if (input.activityType === 'planRoute') {
            running.then(
              (plan) =>
                safely(() => {
                  for (const entry of (plan as RoutePlan).route)
                    prices.set(entry.provider, {
                      amount: entry.price.amount,
                      unit: entry.price.unit,
                    });
                }),
              () => {},
            );
          }
          return running;
        },
        scheduleActivity(input, next) {
          if (input.activityType === 'submitTask')
            lastProvider = (input.args[0] as SubmitInput).provider;
          const running = next(input);
          running.then(
            (result) => safely(() => observeActivity(input.activityType, input.args, result)),
            () => {},
          );
          return running;
        },
      },
    ],
  };
};

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
