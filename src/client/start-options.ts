import { MIN_POLL_INTERVAL_MS, readSettings } from '../config/environment.js';
import { ValidationError, type ValidationIssue } from '../errors.js';
import { notifyUrlIssues } from '../notify/notify-url.js';
import { checkRequestAgainstProviders } from '../providers/catalog.js';
import type { ProviderId, UnifiedRequest } from '../request/unified-request.js';
import { createVideoStorage } from '../storage/storage-factory.js';
import { isValidStorageKey, type VideoStorage } from '../storage/video-storage.js';
import { parseFailoverStuckAfter } from './failover-stuck-after.js';
import { type GenerationRequest, prepareRequest } from './prepare-request.js';

/** What a caller may set when starting one generation, and its checks. */
export interface StartGenerationOptions {
  /**
   * Workflow id. Ids are single-use per request: if a job with this id exists (running or
   * finished, within the namespace's retention), the same request attaches to it (nothing new
   * is submitted, `attached: true`) and a different one is refused with a ValidationError on `id`.
   */
  workflowId?: string;
  /** Failover order. */
  providers?: ProviderId[];
  /** Budget in USD for the estimated cost. */
  maxCost?: number;
  pollIntervalMs?: number;
  attemptDeadlineMs?: number;
  deadlineMs?: number;
  /**
   * Opt-in: once a provider accepted the task, pay the next provider if that task is stuck this
   * long (a duration such as `20m`, or milliseconds). Absent: an accepted task pins the job.
   */
  failoverStuckAfter?: string | number;
  /**
   * POST the job's final status JSON here when it ends (succeeded, failed or cancelled), signed
   * with KLINGFLOW_NOTIFY_SECRET the Standard Webhooks way; the outcome is `notification` in its
   * status. Checked up front: an http(s) URL the SSRF guard allows, and the secret set.
   */
  notifyUrl?: string;
  /** First wait between notification attempts (milliseconds, default 1 s; tests shorten it). */
  notifyRetryIntervalMs?: number;
}

/** A job's or batch's `pollIntervalMs`: milliseconds, and not so few that it is a unit mistake. */
export function pollIntervalIssues(pollIntervalMs: number): ValidationIssue[] {
  if (Number.isFinite(pollIntervalMs) && pollIntervalMs >= MIN_POLL_INTERVAL_MS) return [];
  return [
    {
      field: 'pollIntervalMs',
      message: `${pollIntervalMs} ms is under the ${MIN_POLL_INTERVAL_MS} ms minimum; the option is in milliseconds (10 s is 10000)`,
    },
  ];
}

/**
 * Checks the options of a start. The workflow id names the stored video, so it must be a safe
 * file name: an unsafe one would only be refused after the provider had been paid. A notify URL
 * must pass the SSRF guard and have KLINGFLOW_NOTIFY_SECRET to be signed with (notify-url.ts).
 */
export function validateStartOptions(
  options: Pick<
    StartGenerationOptions,
    'workflowId' | 'maxCost' | 'failoverStuckAfter' | 'notifyUrl' | 'pollIntervalMs'
  >,
  environment: NodeJS.ProcessEnv = process.env,
): { failoverStuckAfterMs?: number } {
  const issues: ValidationIssue[] =
    options.notifyUrl === undefined ? [] : notifyUrlIssues(options.notifyUrl, environment);
  let failoverStuckAfterMs: number | undefined;
  if (options.failoverStuckAfter !== undefined) {
    const parsed = parseFailoverStuckAfter(options.failoverStuckAfter, 'failoverStuckAfter');
    if ('issue' in parsed) issues.push(parsed.issue);
    else failoverStuckAfterMs = parsed.ms;
  }
  if (options.workflowId !== undefined && !isValidStorageKey(options.workflowId)) {
    issues.push({
      field: 'workflowId',
      message: `"${options.workflowId.slice(0, 80)}" must be 1–200 characters of A-Z a-z 0-9 . _ -, start with a letter or digit, and contain no ".."`,
    });
  }
  if (options.pollIntervalMs !== undefined)
    issues.push(...pollIntervalIssues(options.pollIntervalMs));
  if (options.maxCost !== undefined && !(Number.isFinite(options.maxCost) && options.maxCost > 0)) {
    issues.push({
      field: 'maxCost',
      message: `must be a number of USD greater than 0, not ${options.maxCost}`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return failoverStuckAfterMs !== undefined ? { failoverStuckAfterMs } : {};
}

/** Validation without a Temporal connection (the CLI validates before it connects). */
export async function validateGenerationRequest(
  request: GenerationRequest,
  options: { storage?: VideoStorage; providers?: readonly ProviderId[] } = {},
): Promise<UnifiedRequest> {
  const storage = options.storage ?? createVideoStorage(readSettings());
  const prepared = await prepareRequest(request, storage);
  const check = checkRequestAgainstProviders(prepared, options.providers);
  if (check.servable.length === 0) throw new ValidationError(check.issues);
  return prepared;
}
