import { z } from 'zod';
import { ProviderError } from '../errors.js';
import type { UnifiedRequest } from '../request/unified-request.js';
import { HYPRLAB_OFFERING } from './hyprlab-offering.js';
import { type ApiKeySettings, baseUrlOf, bearerHeaders } from './kit/adapter-settings.js';
import { failedTaskStatus } from './kit/content-rejection.js';
import { jsonImage } from './kit/image-form.js';
import { asRecord, errorText, firstString } from './kit/lenient-json.js';
import { requireFittingOffer } from './kit/offer-guard.js';
import { callProvider, type ErrorEnvelope, submitToProvider } from './kit/provider-answer.js';
import { taskNotFound } from './kit/task-status.js';
import { providerModelName } from './offer-check.js';
import type {
  CallContext,
  ProviderAdapter,
  SubmitContext,
  SubmittedTask,
  TaskHandle,
  TaskStatus,
} from './provider.js';

/**
 * HyprLab (seeds/000): `POST {base}/video/generations` returns a polling URL in `data[0].url`;
 * a GET on that URL returns the same envelope with the video URL in `data[0].url` once done.
 */

const { id: PROVIDER, displayName: DISPLAY_NAME } = HYPRLAB_OFFERING;
export const HYPRLAB_DEFAULT_BASE_URL = 'https://api.hyprlab.io/v1';

export type HyprLabSettings = ApiKeySettings;

/** The seed's sample submit response: `{created, id, data:[{url: <polling URL>}]}`. */
export const hyprLabSubmitResponseSchema = z.object({
  created: z.number().optional(),
  id: z.union([z.string().min(1), z.number()]).transform(String),
  data: z.array(z.object({ url: z.string().min(1) })).min(1),
});

/** The seed's sample finished poll response: `{created, data:[{url: <mp4 URL>}]}`. */
export const hyprLabResultSchema = z.object({
  created: z.number().optional(),
  data: z.array(z.object({ url: z.string().min(1) })).min(1),
});

/**
 * Unverified: HyprLab's error body, OpenAI-style `{error: {message, type}}`. A 404 in that
 * shape on the polling URL is its "no such task"; a 404 in any other shape is not.
 */
const hyprLabErrorSchema = z.looseObject({
  error: z.looseObject({ message: z.string(), type: z.string().optional() }),
});
const HYPRLAB_ENVELOPE: ErrorEnvelope = {
  read(body, httpStatus) {
    const parsed = hyprLabErrorSchema.safeParse(body);
    if (!parsed.success) return undefined;
    return {
      message: parsed.data.error.message,
      ...(httpStatus === 404 ? { notFound: true } : {}),
    };
  },
};

export function createHyprLabProvider(settings: HyprLabSettings): ProviderAdapter {
  const baseUrl = baseUrlOf(settings.baseUrl, HYPRLAB_DEFAULT_BASE_URL);
  const headers = bearerHeaders(settings.apiKey);

  async function submit(request: UnifiedRequest, context: SubmitContext): Promise<SubmittedTask> {
    const offer = requireFittingOffer(PROVIDER, DISPLAY_NAME, HYPRLAB_OFFERING.check(request));
    const body: Record<string, unknown> = {
      model: providerModelName(offer, request.mode),
      prompt: request.prompt,
      duration: request.duration,
    };
    if (request.negativePrompt !== undefined) body.negative_prompt = request.negativePrompt;
    if (request.cfgScale !== undefined) body.cfg_scale = request.cfgScale;
    const aspectRatioIgnored =
      offer.aspectRatio === 'unsupported' ||
      (offer.aspectRatio === 'ignored-with-start-image' && request.startImage !== undefined);
    if (request.aspectRatio !== undefined && !aspectRatioIgnored) {
      body.aspect_ratio = request.aspectRatio;
    }
    // HyprLab takes URL, data URI or base64: URLs go as they are, stored blobs as data URIs.
    if (request.startImage) {
      body.start_image = await jsonImage(context.images, request.startImage, 'data-uri');
    }
    if (request.endImage) {
      body.end_image = await jsonImage(context.images, request.endImage, 'data-uri');
    }
    Object.assign(body, request.providerOptions?.hyprlab);

    const url = `${baseUrl}/video/generations`;
    const { id: taskId, data } = await submitToProvider(
      settings.http,
      { method: 'POST', url, headers, json: body, signal: context.signal },
      {
        provider: PROVIDER,
        envelope: HYPRLAB_ENVELOPE,
        success: hyprLabSubmitResponseSchema,
        expected: 'task id and polling URL in the response',
      },
    );
    return { taskId, handle: { provider: PROVIDER, taskId, pollingUrl: data[0]!.url } };
  }

  async function status(handle: TaskHandle, context: CallContext): Promise<TaskStatus> {
    const pollingUrl = typeof handle.pollingUrl === 'string' ? handle.pollingUrl : undefined;
    if (!pollingUrl) {
      throw new ProviderError('invalid-request', PROVIDER, 'task handle has no pollingUrl');
    }
    // The key goes only where it went for the submit: a polling URL on another host would
    // receive our Authorization header.
    if (!sameOrigin(pollingUrl, baseUrl)) {
      throw new ProviderError(
        'provider-unavailable',
        PROVIDER,
        `polling URL ${new URL(pollingUrl).origin} is not on the HyprLab host ${new URL(baseUrl).origin}; the API key is not sent there`,
      );
    }
    const answer = await callProvider(
      settings.http,
      { method: 'GET', url: pollingUrl, headers, signal: context.signal },
      {
        provider: PROVIDER,
        purpose: 'status',
        envelope: HYPRLAB_ENVELOPE,
        success: z.unknown(),
        expected: 'JSON body',
      },
    );
    if (!answer.found) {
      return taskNotFound(
        DISPLAY_NAME,
        handle.taskId,
        `HTTP 404 on its polling URL: ${answer.error.message}`,
      );
    }
    return readHyprLabStatusTolerantly(answer.value, pollingUrl);
  }

  return { ...HYPRLAB_OFFERING, submit, status };
}

function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

/**
 * Unverified: no seed documents HyprLab's poll body before the video is ready, or for a failed
 * task. The seed only shows the finished body `{created, data:[{url: "...mp4"}]}`. A public
 * HyprLab client on GitHub (a React `VideoGenerator` that posts to
 * api.hyprlab.io/v1/video/generations) treats `status: "processing" | "pending"` (with a
 * `message`) as in progress and `status: "failed"` or an `error: {message}` as failure; those
 * are read here, plus the usual synonyms. Anything else without a video URL counts as running.
 */
export function readHyprLabStatusTolerantly(body: unknown, pollingUrl: string): TaskStatus {
  const record = asRecord(body);
  const statusWord = firstString(record.status, record.state)?.toLowerCase();
  const videoUrl = firstVideoUrl(record, pollingUrl);
  const errorMessage = errorText(record.error) ?? firstString(record.failMsg, record.reason);
  const progress = typeof record.progress === 'number' ? record.progress : undefined;
  const detail = firstString(record.message, record.detail);

  if (statusWord && FAILED_WORDS.has(statusWord)) {
    return failedTaskStatus(errorMessage ?? detail);
  }
  if (statusWord && QUEUED_WORDS.has(statusWord)) {
    return { state: 'queued', ...(detail ? { detail } : {}) };
  }
  if (statusWord && !SUCCEEDED_WORDS.has(statusWord)) {
    return {
      state: 'running',
      ...(detail ? { detail } : {}),
      ...(progress !== undefined ? { progress } : {}),
    };
  }
  if (videoUrl) return { state: 'succeeded', videos: [{ url: videoUrl }] };
  if (record.error !== undefined && record.error !== null) return failedTaskStatus(errorMessage);
  return { state: 'running', ...(detail ? { detail } : {}) };
}

const FAILED_WORDS = new Set(['failed', 'failure', 'error', 'cancelled', 'canceled', 'rejected']);
const QUEUED_WORDS = new Set(['pending', 'queued', 'submitted', 'waiting', 'starting']);
const SUCCEEDED_WORDS = new Set(['succeeded', 'success', 'completed', 'complete', 'done']);

/** `data[0].url`, unless it is the polling URL itself (what the submit response carries). */
function firstVideoUrl(record: Record<string, unknown>, pollingUrl: string): string | undefined {
  const parsed = hyprLabResultSchema.safeParse(record);
  if (!parsed.success) return undefined;
  const url = parsed.data.data[0]!.url;
  return url === pollingUrl ? undefined : url;
}
