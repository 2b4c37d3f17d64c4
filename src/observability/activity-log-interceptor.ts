import type { Context } from '@temporalio/activity';
import type {
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
} from '@temporalio/worker';
import { FailureTypes } from '../contracts/generation.js';

/**
 * One log line per event an operator follows a job by: a provider accepted a task, a task
 * finished, an activity attempt failed (downloads and stores log their own). Through the activity's logger, so each line carries the
 * SDK's workflowId, activityType and taskQueue; provider and taskId are added here. Ids and
 * states only: inputs (prompts, image URLs) are never logged.
 */
export function activityLogInterceptor(): ActivityInterceptorsFactory {
  return (context: Context) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const where = taskOf(input.args[0]);
        try {
          const result = await next(input);
          logResult(context, where, result);
          return result;
        } catch (error) {
          const failure = error as { type?: unknown; message?: unknown; name?: unknown };
          if (failure?.type !== FailureTypes.notReady) {
            context.log.warn('activity attempt failed', {
              ...where,
              attempt: context.info.attempt,
              errorType: String(failure?.type ?? failure?.name ?? 'Error'),
              error: String(failure?.message ?? error),
            });
          }
          throw error;
        }
      },
    };
    return { inbound };
  };
}

interface TaskFields {
  provider?: string;
  taskId?: string;
}

function taskOf(input: unknown): TaskFields {
  const value = input as { provider?: unknown; handle?: { provider?: unknown; taskId?: unknown } };
  const provider = value?.handle?.provider ?? value?.provider;
  const taskId = value?.handle?.taskId;
  return {
    ...(typeof provider === 'string' ? { provider } : {}),
    ...(typeof taskId === 'string' ? { taskId } : {}),
  };
}

function logResult(context: Context, where: TaskFields, result: unknown): void {
  const activity = context.info.activityType;
  const value = result as { taskId?: unknown; status?: { state?: unknown } } | null;
  if ((activity === 'submitTask' || activity === 'findTask') && typeof value?.taskId === 'string') {
    context.log.info('provider accepted the task', { ...where, taskId: value.taskId });
  } else if (activity === 'checkTask') {
    const state = value?.status?.state;
    if (state === 'succeeded' || state === 'failed')
      context.log.info('provider task finished', { ...where, state });
  }
  // Downloads and stores log themselves ("downloaded video", "stored video").
}
