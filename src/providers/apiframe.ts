import { z } from 'zod';
import { ProviderError } from '../errors.js';
import type { UnifiedRequest } from '../request/unified-request.js';
import {
  APIFRAME_DISPLAY_NAME,
  APIFRAME_MODES,
  APIFRAME_OFFERS,
  priceApiFrame,
} from './apiframe-catalog.js';
import { failedTaskStatus } from './content-rejection.js';
import { checkAgainstOffers, providerModelName } from './offer-check.js';
import type {
  CallContext,
  OfferCheck,
  ProviderAdapter,
  SubmitContext,
  SubmittedTask,
  TaskHandle,
  TaskStatus,
} from './provider.js';
import {
  acceptedButUnreadable,
  httpFailure,
  type ProviderHttpResponse,
  type ProviderHttpSettings,
  parseAcceptedBody,
  parseJsonBody,
  providerRequest,
} from './provider-http.js';

/**
 * APIFrame (seeds/004): `POST {base}/v2/videos/generate` with `X-API-Key`, body
 * `{prompt, model: "kling-2.1", klingParams: {...}}`. The seed documents the request only;
 * the response, the poll and the errors come from APIFrame's public docs and SDK (see
 * `readApiFrameJobTolerantly`).
 */

const PROVIDER = 'apiframe';
export const APIFRAME_DEFAULT_BASE_URL = 'https://api.apiframe.ai';

export interface ApiFrameSettings {
  apiKey: string;
  baseUrl?: string;
  http: ProviderHttpSettings;
}

export function createApiFrameProvider(settings: ApiFrameSettings): ProviderAdapter {
  const baseUrl = (settings.baseUrl ?? APIFRAME_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const headers = { 'x-api-key': settings.apiKey };

  function check(request: UnifiedRequest): OfferCheck {
    return checkAgainstOffers(APIFRAME_DISPLAY_NAME, APIFRAME_OFFERS, request);
  }

  async function submit(request: UnifiedRequest, context: SubmitContext): Promise<SubmittedTask> {
    const { offer, issues } = check(request);
    if (!offer || issues.length > 0) {
      throw new ProviderError(
        'invalid-request',
        PROVIDER,
        `request does not fit APIFrame: ${issues.map((issue) => `${issue.field} ${issue.message}`).join('; ')}`,
      );
    }
    const klingParams: Record<string, unknown> = {
      duration: request.duration,
      mode: APIFRAME_MODES[request.mode],
    };
    if (request.aspectRatio !== undefined) klingParams.aspect_ratio = request.aspectRatio;
    if (request.startImage)
      klingParams.start_image = await context.images.asUrl(request.startImage);
    if (request.endImage) klingParams.end_image = await context.images.asUrl(request.endImage);
    if (request.negativePrompt !== undefined) klingParams.negative_prompt = request.negativePrompt;
    if (request.cfgScale !== undefined) klingParams.cfg_scale = request.cfgScale;

    const { klingParams: extraKlingParams, ...extra } = request.providerOptions?.apiframe ?? {};
    const body: Record<string, unknown> = {
      prompt: request.prompt,
      model: providerModelName(offer, request.mode),
      klingParams: { ...klingParams, ...asRecord(extraKlingParams) },
    };
    if (context.callbackUrl) body.webhookUrl = context.callbackUrl;
    Object.assign(body, extra);

    const response = await providerRequest(PROVIDER, settings.http, {
      method: 'POST',
      url: `${baseUrl}/v2/videos/generate`,
      headers: {
        ...headers,
        // APIFrame replays the original job for a repeated key (24 h), so a resent submit
        // with the same workflow attempt cannot create a second paid job.
        ...(context.externalTaskId ? { 'idempotency-key': context.externalTaskId } : {}),
      },
      json: body,
      signal: context.signal,
    });
    if (response.status === 409) {
      // The key was used before with another body: that earlier job exists and may be billed.
      throw new ProviderError(
        'invalid-request',
        PROVIDER,
        `HTTP 409: ${errorDetail(response.text)} (an earlier submit with this idempotency key was accepted)`,
        { httpStatus: 409, ambiguous: true },
      );
    }
    if (response.status < 200 || response.status >= 300) throw apiFrameHttpError(response);
    const json = parseAcceptedBody(PROVIDER, response);
    const { jobId } = readApiFrameJobTolerantly(json);
    if (!jobId) throw acceptedButUnreadable(PROVIDER, response, 'no jobId in the response');
    return { taskId: jobId, handle: { provider: PROVIDER, taskId: jobId } };
  }

  async function status(handle: TaskHandle, context: CallContext): Promise<TaskStatus> {
    const response = await providerRequest(PROVIDER, settings.http, {
      method: 'GET',
      url: `${baseUrl}/v2/jobs/${encodeURIComponent(handle.taskId)}`,
      headers,
      signal: context.signal,
    });
    if (response.status === 404) {
      return {
        state: 'failed',
        reason: `APIFrame no longer knows job ${handle.taskId} (HTTP 404)`,
        kind: 'provider-unavailable',
      };
    }
    if (response.status < 200 || response.status >= 300) throw apiFrameHttpError(response);
    return readApiFrameJobTolerantly(parseJsonBody(PROVIDER, response)).status;
  }

  return {
    id: PROVIDER,
    displayName: APIFRAME_DISPLAY_NAME,
    capabilities: {
      offers: APIFRAME_OFFERS,
      callbacks: true,
      callbackField: 'webhookUrl',
      // Submits carry Idempotency-Key, but there is no lookup by key to implement findTask.
      idempotentSubmit: false,
      imageForms: ['url'],
      priceUnit: 'credits',
      unverified: [
        'APIFrame submit response {jobId, status} (not in the seed; from its OpenAPI and SDK)',
        'APIFrame poll endpoint GET /v2/jobs/:id and its job shape (not in the seed; from its docs)',
        'APIFrame video result shape ({videoUrl} or a bare URL string; docs show both)',
        'APIFrame error bodies {error} and 402 {error, creditsRequired, creditsAvailable}',
        'APIFrame webhookUrl callbacks and the Idempotency-Key header',
      ],
    },
    check,
    price: priceApiFrame,
    submit,
    status,
  };
}

/**
 * Unverified: seeds/004 documents only APIFrame's request. The shapes read here come from
 * APIFrame's public material, not the seed:
 * - submit → `202 {jobId, status: "QUEUED"}` (JobAccepted in openapi.json of
 *   github.com/apiframe-ai/apiframe-nodejs-sdk; its tests and README use `jobId`);
 * - poll `GET /v2/jobs/:id` → `{id, status: QUEUED|PROCESSING|COMPLETED|FAILED|CANCELLED,
 *   progress, result, error, creditCost, …}` (docs-v2.apiframe.ai/docs/jobs/get);
 * - a video `result` is `{videoUrl}` (apiframe.ai/docs/jobs/get, "Video result format"), but
 *   another copy of that page shows `result` as a bare URL string, so both are read, plus
 *   `videos[]` (their Midjourney Video shape) and `url`.
 * Ids under `id`/`job_id`/`data` and lower-case status words are accepted too. Unknown
 * statuses count as running.
 */
export function readApiFrameJobTolerantly(body: unknown): {
  jobId: string | undefined;
  status: TaskStatus;
} {
  const parsed = looseJobSchema.safeParse(body);
  const job = parsed.success ? parsed.data : {};
  const nested = looseJobSchema.safeParse(asRecord(body).data);
  const source = job.jobId || job.id || job.job_id ? job : nested.success ? nested.data : job;
  const jobId = firstString(source.jobId, source.id, source.job_id);
  const word = source.status?.toUpperCase();
  const progress = typeof source.progress === 'number' ? source.progress : undefined;

  let status: TaskStatus;
  if (word === 'QUEUED' || word === 'PENDING' || word === 'SUBMITTED') {
    status = { state: 'queued' };
  } else if (word === 'COMPLETED' || word === 'SUCCEEDED' || word === 'SUCCESS') {
    const urls = resultUrls(source.result);
    status =
      urls.length > 0
        ? { state: 'succeeded', videos: urls.map((url) => ({ url })) }
        : {
            state: 'failed',
            reason: 'APIFrame reported the job completed without a video URL',
            kind: 'provider-unavailable',
          };
  } else if (word === 'FAILED' || word === 'ERROR' || word === 'CANCELLED' || word === 'CANCELED') {
    status = failedTaskStatus(errorText(source.error) ?? `job ${word.toLowerCase()}`);
  } else {
    status = { state: 'running', ...(progress !== undefined ? { progress } : {}) };
  }
  return { jobId, status };
}

const looseJobSchema = z
  .object({
    jobId: z.string().optional(),
    id: z.union([z.string(), z.number()]).transform(String).optional(),
    job_id: z.string().optional(),
    status: z.string().optional(),
    progress: z.number().nullish(),
    result: z.unknown().optional(),
    error: z.unknown().optional(),
  })
  .loose();

function resultUrls(result: unknown): string[] {
  if (typeof result === 'string') return isHttpUrl(result) ? [result] : [];
  if (Array.isArray(result)) return result.flatMap(resultUrls);
  const record = asRecord(result);
  for (const key of ['videoUrl', 'video_url', 'url', 'video', 'videos', 'videoUrls']) {
    const urls = key in record ? resultUrls(record[key]) : [];
    if (urls.length > 0) return urls;
  }
  return [];
}

function isHttpUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

function apiFrameHttpError(response: ProviderHttpResponse): ProviderError {
  return httpFailure(PROVIDER, response, undefined, errorDetail(response.text));
}

/** `{error}` (and the 402 credit figures), per the SDK's ErrorResponse and InsufficientCredits. */
function errorDetail(text: string): string {
  try {
    const record = asRecord(JSON.parse(text));
    const message = errorText(record.error) ?? firstString(record.message);
    if (!message) return text.slice(0, 200);
    const required = record.creditsRequired;
    const available = record.creditsAvailable;
    return typeof required === 'number' && typeof available === 'number'
      ? `${message} (needs ${required} credits, ${available} available)`
      : message;
  } catch {
    return text.slice(0, 200);
  }
}

function errorText(value: unknown): string | undefined {
  if (typeof value === 'string' && value) return value;
  return firstString(asRecord(value).message);
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.length > 0);
}
