import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type Dispatcher, request } from 'undici';
import { reportedPhase } from '../contracts/generation.js';
import {
  MAX_NOTIFY_ERROR_LENGTH,
  NOTIFY_MAX_RETRY_INTERVAL_MS,
  type NotifyCompletionInput,
  type NotifyCompletionOutput,
  NotifyFailureTypes,
} from '../contracts/notification.js';
import { ConfigurationError } from '../errors.js';
import { errorCode } from '../http/error-cause.js';
import { assertFetchableUrl, findBlockedAddressError, redactUrl } from '../http/guarded-agent.js';
import { parseRetryAfter } from '../http/retry-after.js';
import { notifySigner } from '../notify/notify-secret.js';

/** One attempt waits this long for the receiver's answer (below the activity's timeout). */
const REQUEST_TIMEOUT_MS = 20_000;

export interface NotifyDependencies {
  /** The guarded dispatcher: DNS answers that point inward are refused at connect time. */
  dispatcher: Dispatcher;
  allowPrivateNetwork: boolean;
  /** Where KLINGFLOW_NOTIFY_SECRET is read, at each attempt (never passed through a workflow). */
  environment: NodeJS.ProcessEnv;
}

/**
 * POSTs a job's or batch's status JSON to its notify URL, signed the Standard Webhooks way
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`). One HTTP
 * attempt per activity attempt: Temporal's retry policy (set by the workflow) repeats it with
 * the same webhook id, re-signed with a fresh timestamp. A 2xx is delivered; 408, 429, 5xx and
 * network errors are retried; any other answer, a blocked address or a missing secret is not.
 * Failures carry `{ attempt }` so the workflow can record how many attempts were made.
 */
export function createNotifyCompletion(deps: NotifyDependencies) {
  return async function notifyCompletion(
    input: NotifyCompletionInput,
  ): Promise<NotifyCompletionOutput> {
    const context = Context.current();
    const attempt = context.info.attempt;
    const fail = (type: string, message: string, nextRetryDelayMs?: number) =>
      ApplicationFailure.create({
        type,
        message: message.slice(0, MAX_NOTIFY_ERROR_LENGTH),
        nonRetryable: type === NotifyFailureTypes.refused,
        details: [{ attempt }],
        ...(nextRetryDelayMs !== undefined ? { nextRetryDelay: nextRetryDelayMs } : {}),
      });
    const where = redactUrl(input.url);
    let signer: ReturnType<typeof notifySigner>;
    try {
      assertFetchableUrl(input.url, deps.allowPrivateNetwork);
      signer = notifySigner(deps.environment);
    } catch (error) {
      if (findBlockedAddressError(error) || error instanceof ConfigurationError) {
        throw fail(NotifyFailureTypes.refused, (error as Error).message);
      }
      throw error;
    }
    const body = JSON.stringify(withReportedPhase(input.body));
    const sentAt = new Date();
    let response: Dispatcher.ResponseData;
    try {
      response = await request(input.url, {
        method: 'POST',
        dispatcher: deps.dispatcher,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'klingflow',
          'webhook-id': input.webhookId,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': signer.sign(input.webhookId, sentAt, body),
        },
        body,
        signal: AbortSignal.any([
          context.cancellationSignal,
          AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        ]),
      });
    } catch (error) {
      const blocked = findBlockedAddressError(error);
      if (blocked) throw fail(NotifyFailureTypes.refused, blocked.message);
      const reason = errorCode(error) ?? (error instanceof Error ? error.name : 'error');
      throw fail(NotifyFailureTypes.unavailable, `${where} could not be reached (${reason})`);
    }
    await response.body.dump().catch(() => undefined);
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { attempts: attempt };
    const message = `${where} answered HTTP ${status}`;
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfter = parseRetryAfter(response.headers['retry-after']);
      const delay =
        retryAfter === undefined ? undefined : Math.min(retryAfter, NOTIFY_MAX_RETRY_INTERVAL_MS);
      throw fail(NotifyFailureTypes.unavailable, message, delay);
    }
    // Redirects are not followed (each hop would need the address policy, and a receiver that
    // moved should be given its new URL); other 4xx say the receiver will not take it.
    throw fail(NotifyFailureTypes.refused, message);
  };
}

/** A job's status as the contract reports it (route planning as `submitting`); batches as they are. */
function withReportedPhase(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('phase' in body)) return body;
  const phase = (body as { phase: unknown }).phase;
  return phase === 'planning' ? { ...body, phase: reportedPhase(phase) } : body;
}
