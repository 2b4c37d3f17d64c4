import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  MAX_NOTIFY_ERROR_LENGTH,
  NOTIFY_ATTEMPT_TIMEOUT_MS,
  NOTIFY_MAX_ATTEMPTS,
  NOTIFY_MAX_RETRY_INTERVAL_MS,
  NOTIFY_RETRY_INTERVAL_MS,
  type NotificationRecord,
  NotifyFailureTypes,
  type NotifyOptions,
  shownNotifyUrl,
} from '../contracts/notification.js';

/**
 * Sends a completion notification (a job's or a batch's status JSON) and says what became of
 * it. Delivery is one activity retried by Temporal: at least once, bounded (NOTIFY_MAX_ATTEMPTS
 * attempts, backoff capped), with the same `webhook-id` on every attempt: derived from the
 * workflow's first run, so it is the same on replay and differs for a re-run of the id. Runs
 * in a non-cancellable scope, so a cancelled job still reports. Never throws for a delivery
 * that failed: the notification is a report, not part of the job's outcome.
 */
export async function sendNotification(
  options: Required<Pick<NotifyOptions, 'notifyUrl'>> & NotifyOptions,
  body: unknown,
): Promise<NotificationRecord> {
  const url = options.notifyUrl;
  const webhookId = `msg_${workflowInfo().firstExecutionRunId}`;
  const record = { url: shownNotifyUrl(url), webhookId };
  const { notifyCompletion } = proxyActivities<Activities>({
    startToCloseTimeout: NOTIFY_ATTEMPT_TIMEOUT_MS,
    // A backstop only: the attempts and their waits end well before it.
    scheduleToCloseTimeout: '15 minutes',
    retry: {
      initialInterval: options.notifyRetryIntervalMs ?? NOTIFY_RETRY_INTERVAL_MS,
      backoffCoefficient: 2,
      maximumInterval: NOTIFY_MAX_RETRY_INTERVAL_MS,
      maximumAttempts: NOTIFY_MAX_ATTEMPTS,
      nonRetryableErrorTypes: [NotifyFailureTypes.refused],
    },
  });
  try {
    const { attempts } = await CancellationScope.nonCancellable(() =>
      notifyCompletion({ url, webhookId, body }),
    );
    return { ...record, state: 'delivered', attempts };
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const cause = error.cause;
    const attempt =
      cause instanceof ApplicationFailure
        ? (cause.details?.[0] as { attempt?: number } | undefined)?.attempt
        : undefined;
    return {
      ...record,
      state: 'failed',
      // An attempt that timed out reports nothing: the retry policy's bound is then the count.
      attempts: attempt ?? NOTIFY_MAX_ATTEMPTS,
      lastError: (cause?.message ?? error.message).slice(0, MAX_NOTIFY_ERROR_LENGTH),
    };
  }
}
