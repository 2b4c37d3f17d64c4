/**
 * Completion notifications: when a job or a batch ends, its status JSON is POSTed to the
 * caller's `notifyUrl`, signed the Standard Webhooks way. Pure types and constants only: this
 * module is bundled into workflow code.
 */

/** What became of a job's (or batch's) completion notification, in its status JSON. */
export interface NotificationRecord {
  /** The notify URL without its query string (which may carry a token). */
  url: string;
  /** The `webhook-id` header: the same on every attempt, so receivers can drop duplicates. */
  webhookId: string;
  state: 'delivered' | 'failed';
  /** HTTP attempts made (1 when the first one was answered with a 2xx). */
  attempts: number;
  /** Why the last attempt failed (absent when delivered). */
  lastError?: string;
}

/** The notify activity's input: the status JSON is signed and sent as it is given. */
export interface NotifyCompletionInput {
  url: string;
  webhookId: string;
  body: unknown;
}

export interface NotifyCompletionOutput {
  /** The attempt (1-based) that was answered with a 2xx. */
  attempts: number;
}

/** ApplicationFailure types the notify activity raises; details[0] is `{ attempt }`. */
export const NotifyFailureTypes = {
  /** 408, 429, 5xx, network errors, timeouts: retried. */
  unavailable: 'NotifyUnavailable',
  /** Any other non-2xx answer, a blocked address, a missing secret: not retried. */
  refused: 'NotifyRefused',
} as const;

/**
 * Delivery is bounded: at most this many attempts, the wait between them doubling from
 * NOTIFY_RETRY_INTERVAL_MS up to NOTIFY_MAX_RETRY_INTERVAL_MS (about 4 minutes of waiting in
 * all), each attempt cut after NOTIFY_ATTEMPT_TIMEOUT_MS.
 */
export const NOTIFY_MAX_ATTEMPTS = 10;
export const NOTIFY_RETRY_INTERVAL_MS = 1_000;
export const NOTIFY_MAX_RETRY_INTERVAL_MS = 60_000;
export const NOTIFY_ATTEMPT_TIMEOUT_MS = 30_000;

/** The longest a status error message is kept in `lastError`. */
export const MAX_NOTIFY_ERROR_LENGTH = 300;

/** What a job or a batch is told about where to send its completion notification. */
export interface NotifyOptions {
  /** POST the status JSON here when the job (or batch) ends: succeeded, failed or cancelled. */
  notifyUrl?: string;
  /** First wait between delivery attempts (milliseconds; default NOTIFY_RETRY_INTERVAL_MS). */
  notifyRetryIntervalMs?: number;
}

/** A status that may say what became of its completion notification. */
export interface Notified {
  /** Present once the notification was sent (or given up on), when a notify URL was given. */
  notification?: NotificationRecord;
}

/**
 * The notify URL as it is shown: without user info, query or fragment (they may carry tokens).
 * Plain string work, as this runs in workflow code.
 */
export function shownNotifyUrl(url: string): string {
  const [base = '', query] = url.split(/[?#]/, 2);
  const withoutUser = base.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
  return query === undefined ? withoutUser : `${withoutUser}?…`;
}
