import { z } from 'zod';
import { HYPRLAB_DISPLAY_NAME } from './hyprlab-catalog.js';
import { HYPRLAB_OFFERING } from './hyprlab-offering.js';
import type { ApiKeySettings } from './kit/adapter-settings.js';
import { failedTaskStatus } from './kit/content-rejection.js';
import { createHttpAdapter, type HttpSubmitCall } from './kit/http-adapter.js';
import { jsonImage } from './kit/image-form.js';
import { asRecord, errorText, firstString } from './kit/lenient-json.js';
import type { ErrorEnvelope } from './kit/provider-answer.js';
import { returnedUrl } from './kit/returned-url.js';
import { providerModelName } from './offer-check.js';
import type { ProviderAdapter, TaskHandle, TaskStatus } from './provider.js';

/**
 * HyprLab (seeds/000): `POST {base}/video/generations` returns a polling URL in `data[0].url`;
 * a GET on that URL returns the same envelope with the video URL in `data[0].url` once done.
 */

const PROVIDER = HYPRLAB_OFFERING.id;
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
  notFoundOn404: true,
  read(body) {
    const parsed = hyprLabErrorSchema.safeParse(body);
    if (!parsed.success) return undefined;
    return {
      message: parsed.data.error.message,
    };
  },
};

export function createHyprLabProvider(settings: HyprLabSettings): ProviderAdapter {
  return createHttpAdapter(HYPRLAB_OFFERING, settings, {
    submitCall: hyprLabSubmit,
    accepted: (body) => {
      const parsed = hyprLabSubmitResponseSchema.safeParse(body);
      if (!parsed.success) return undefined;
      const { id: taskId, data } = parsed.data;
      return { provider: PROVIDER, taskId, pollingUrl: data[0]!.url };
    },
    acceptedExpected: 'task id and polling URL in the response',
    statusUrl: pollingUrlOf,
    statusBody: z.unknown(),
    readStatus: (body, handle) => readHyprLabStatusTolerantly(body, String(handle.pollingUrl)),
    envelope: HYPRLAB_ENVELOPE,
    defaultBaseUrl: HYPRLAB_DEFAULT_BASE_URL,
  });
}

/** JSON with the seed's field names; duration as an integer. */
const hyprLabSubmit: HttpSubmitCall = async (offer, request, { images }) => {
  const json: Record<string, unknown> = {
    model: providerModelName(offer, request.mode),
    prompt: request.prompt,
    duration: request.duration,
  };
  if (request.negativePrompt !== undefined) json.negative_prompt = request.negativePrompt;
  if (request.cfgScale !== undefined) json.cfg_scale = request.cfgScale;
  const aspectRatioIgnored =
    offer.aspectRatio === 'unsupported' ||
    (offer.aspectRatio === 'ignored-with-start-image' && request.startImage !== undefined);
  if (request.aspectRatio !== undefined && !aspectRatioIgnored) {
    json.aspect_ratio = request.aspectRatio;
  }
  // HyprLab takes URL, data URI or base64: URLs go as they are, stored blobs as data URIs.
  if (request.startImage)
    json.start_image = await jsonImage(images, request.startImage, 'data-uri');
  if (request.endImage) json.end_image = await jsonImage(images, request.endImage, 'data-uri');
  Object.assign(json, request.providerOptions?.hyprlab);
  return { path: '/video/generations', json };
};

/**
 * The polling URL the submit returned. The key goes only where it went for the submit: a
 * polling URL on another host would receive our Authorization header.
 */
function pollingUrlOf(handle: TaskHandle, baseUrl: string): string {
  return returnedUrl(handle, 'pollingUrl', baseUrl, HYPRLAB_DISPLAY_NAME);
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
