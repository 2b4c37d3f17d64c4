import { z } from 'zod';
import { APIFRAME_MODES } from './apiframe-catalog.js';
import { APIFRAME_OFFERING } from './apiframe-offering.js';
import type { ApiKeySettings } from './kit/adapter-settings.js';
import { failedTaskStatus } from './kit/content-rejection.js';
import { createHttpAdapter, type HttpSubmitCall } from './kit/http-adapter.js';
import { asRecord, errorText, firstString, isHttpUrl } from './kit/lenient-json.js';
import type { ErrorEnvelope } from './kit/provider-answer.js';
import { succeededWithoutVideo } from './kit/task-status.js';
import { providerModelName } from './offer-check.js';
import type { ProviderAdapter, TaskStatus } from './provider.js';

/**
 * APIFrame (seeds/004): `POST {base}/v2/videos/generate` with `X-API-Key`, body
 * `{prompt, model: "kling-2.1", klingParams: {...}}`. The seed documents the request only;
 * the response, the poll and the errors come from APIFrame's public docs and SDK (see
 * `readApiFrameJobTolerantly`).
 */

const PROVIDER = APIFRAME_OFFERING.id;
export const APIFRAME_DEFAULT_BASE_URL = 'https://api.apiframe.ai';

export type ApiFrameSettings = ApiKeySettings;

/**
 * Unverified: `{error}` (and the 402 credit figures), per the SDK's ErrorResponse and
 * InsufficientCredits. A 409 says the Idempotency-Key was used before with another body: that
 * earlier job exists and may be billed. A 404 in this shape is "no such job".
 */
const apiFrameErrorSchema = z.looseObject({
  error: z.string(),
  creditsRequired: z.number().optional(),
  creditsAvailable: z.number().optional(),
});
const APIFRAME_ENVELOPE: ErrorEnvelope = {
  notFoundOn404: true,
  read(body, httpStatus) {
    const parsed = apiFrameErrorSchema.safeParse(body);
    if (!parsed.success) return undefined;
    const { error, creditsRequired, creditsAvailable } = parsed.data;
    const credits =
      creditsRequired !== undefined && creditsAvailable !== undefined
        ? ` (needs ${creditsRequired} credits, ${creditsAvailable} available)`
        : '';
    return {
      message: `${error}${credits}`,
      ...(httpStatus === 409
        ? { kind: 'invalid-request' as const, earlierSendAccepted: true }
        : {}),
    };
  },
};

export function createApiFrameProvider(settings: ApiFrameSettings): ProviderAdapter {
  return createHttpAdapter(APIFRAME_OFFERING, settings, {
    submitCall: apiFrameSubmit,
    accepted: (body) => {
      const { jobId } = apiFrameJob(body);
      return jobId ? { provider: PROVIDER, taskId: jobId } : undefined;
    },
    acceptedExpected: 'jobId in the response',
    statusUrl: (handle, baseUrl) => `${baseUrl}/v2/jobs/${encodeURIComponent(handle.taskId)}`,
    statusBody: z.unknown(),
    readStatus: (body) => apiFrameJobStatus(apiFrameJob(body)),
    headers: (apiKey) => ({ 'x-api-key': apiKey }),
    envelope: APIFRAME_ENVELOPE,
    defaultBaseUrl: APIFRAME_DEFAULT_BASE_URL,
  });
}

/**
 * `{prompt, model, klingParams}`; `klingParams` from providerOptions merge into ours. The
 * Idempotency-Key makes APIFrame replay the original job for a repeated key (24 h), so a
 * resent submit of the same workflow attempt cannot create a second paid job.
 */
const apiFrameSubmit: HttpSubmitCall = async (offer, request, context) => {
  const { images, callbackUrl, externalTaskId } = context;
  const klingParams: Record<string, unknown> = {
    duration: request.duration,
    mode: APIFRAME_MODES[request.mode],
  };
  if (request.aspectRatio !== undefined) klingParams.aspect_ratio = request.aspectRatio;
  if (request.startImage) klingParams.start_image = await images.asUrl(request.startImage);
  if (request.endImage) klingParams.end_image = await images.asUrl(request.endImage);
  if (request.negativePrompt !== undefined) klingParams.negative_prompt = request.negativePrompt;
  if (request.cfgScale !== undefined) klingParams.cfg_scale = request.cfgScale;

  const { klingParams: extraKlingParams, ...extra } = request.providerOptions?.apiframe ?? {};
  const json: Record<string, unknown> = {
    prompt: request.prompt,
    model: providerModelName(offer, request.mode),
    klingParams: { ...klingParams, ...asRecord(extraKlingParams) },
  };
  if (callbackUrl) json.webhookUrl = callbackUrl;
  Object.assign(json, extra);
  const headers: Record<string, string> = externalTaskId
    ? { 'idempotency-key': externalTaskId }
    : {};
  return { path: '/v2/videos/generate', json, headers };
};

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
  const job = apiFrameJob(body);
  return { jobId: job.jobId, status: apiFrameJobStatus(job) };
}

type LooseJob = z.infer<typeof looseJobSchema>;

/** The job object, at the top level or under `data`, and its id under any of its names. */
function apiFrameJob(body: unknown): LooseJob & { jobId: string | undefined } {
  const parsed = looseJobSchema.safeParse(body);
  const job = parsed.success ? parsed.data : {};
  const nested = looseJobSchema.safeParse(asRecord(body).data);
  const source = job.jobId || job.id || job.job_id ? job : nested.success ? nested.data : job;
  return { ...source, jobId: firstString(source.jobId, source.id, source.job_id) };
}

function apiFrameJobStatus(job: LooseJob & { jobId: string | undefined }): TaskStatus {
  const word = job.status?.toUpperCase();
  const progress = typeof job.progress === 'number' ? job.progress : undefined;
  if (word === 'QUEUED' || word === 'PENDING' || word === 'SUBMITTED') return { state: 'queued' };
  if (word === 'COMPLETED' || word === 'SUCCEEDED' || word === 'SUCCESS') {
    const urls = resultUrls(job.result);
    if (urls.length === 0) return succeededWithoutVideo(PROVIDER, job.jobId ?? '?', 'result');
    return { state: 'succeeded', videos: urls.map((url) => ({ url })) };
  }
  if (word === 'FAILED' || word === 'ERROR' || word === 'CANCELLED' || word === 'CANCELED') {
    return failedTaskStatus(errorText(job.error) ?? `job ${word.toLowerCase()}`);
  }
  return { state: 'running', ...(progress !== undefined ? { progress } : {}) };
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
