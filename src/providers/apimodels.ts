import { z } from 'zod';
import type { UnifiedRequest } from '../request/unified-request.js';
import { APIMODELS_PROMPT_LIMIT } from './apimodels-catalog.js';
import { APIMODELS_OFFERING } from './apimodels-offering.js';
import type { ApiKeySettings } from './kit/adapter-settings.js';
import { failedTaskStatus } from './kit/content-rejection.js';
import { createHttpAdapter, type HttpSubmitCall } from './kit/http-adapter.js';
import { jsonImage } from './kit/image-form.js';
import { classifyHttpStatus, type ErrorEnvelope } from './kit/provider-answer.js';
import { succeededWithoutVideo } from './kit/task-status.js';
import { providerModelName } from './offer-check.js';
import { officialMultiShotFields } from './official-multi-shot.js';
import type { ProviderAdapter, TaskStatus } from './provider.js';

/**
 * apimodels.app (seeds/003): `POST {base}/api/v1/video/generations` creates a task (text- or
 * image-to-video, chosen by whether `image` is present); `GET` on the same path with
 * `?task_id=` polls it. Every body is wrapped in `{code, msg, data}`.
 */

const PROVIDER = APIMODELS_OFFERING.id;
export const APIMODELS_DEFAULT_BASE_URL = 'https://apimodels.app';
const GENERATIONS_PATH = '/api/v1/video/generations';

export type ApiModelsSettings = ApiKeySettings;

/** The seed's envelope: `{code: 200, msg: "success", data: {...}}`. */
const envelopeSchema = z.object({
  code: z.number(),
  msg: z.string().optional(),
  data: z.unknown(),
});

/** The seed's "Create Task Response" `data`. */
export const apiModelsCreateDataSchema = z.object({
  taskId: z.string().min(1),
  state: z.string(),
  model: z.string().optional(),
});

/** The seed's "Success Response" and "Failed Response" `data`. */
export const apiModelsTaskDataSchema = z.object({
  taskId: z.string().min(1),
  state: z.string(),
  model: z.string().optional(),
  resultUrls: z.array(z.string().min(1)).optional(),
  failMsg: z.string().optional(),
  createTime: z.number().optional(),
  completeTime: z.number().optional(),
});

export const apiModelsCreateResponseSchema = envelopeSchema.extend({
  data: apiModelsCreateDataSchema,
});
export const apiModelsTaskResponseSchema = envelopeSchema.extend({
  data: apiModelsTaskDataSchema,
});

/** Unverified: the error answer is the same envelope with its `msg` (the seed shows no error body). */
const apiModelsErrorSchema = z.looseObject({ code: z.number(), msg: z.string() });

/**
 * The `{code, msg}` envelope carries errors in error statuses and in 2xx bodies alike; its
 * code reads like the HTTP status of the same number (400 invalid, 401/402 unavailable, 5xx
 * transient). The seed's error table documents 404 as "Task ID not found".
 */
const APIMODELS_ENVELOPE: ErrorEnvelope = {
  inSuccessBodies: true,
  read(body) {
    const parsed = apiModelsErrorSchema.safeParse(body);
    if (!parsed.success || parsed.data.code === 200 || parsed.data.code === 0) return undefined;
    const { code, msg } = parsed.data;
    return {
      message: msg,
      code,
      kind: code >= 400 && code < 600 ? classifyHttpStatus(code) : 'invalid-request',
      ...(code === 404 ? { notFound: true } : {}),
    };
  },
};

export function createApiModelsProvider(settings: ApiModelsSettings): ProviderAdapter {
  return createHttpAdapter(APIMODELS_OFFERING, settings, {
    submitCall: apiModelsSubmit,
    accepted: (body) => {
      const parsed = apiModelsCreateResponseSchema.safeParse(body);
      return parsed.success ? { provider: PROVIDER, taskId: parsed.data.data.taskId } : undefined;
    },
    acceptedExpected: 'data.taskId in the response',
    statusUrl: (handle, baseUrl) =>
      `${baseUrl}${GENERATIONS_PATH}?task_id=${encodeURIComponent(handle.taskId)}`,
    statusBody: apiModelsTaskResponseSchema,
    readStatus: (body) => toTaskStatus(body.data),
    envelope: APIMODELS_ENVELOPE,
    defaultBaseUrl: APIMODELS_DEFAULT_BASE_URL,
  });
}

/**
 * The shots' prompts in order, within the seed's prompt limit (cut between characters, never
 * inside one); undefined without shots.
 */
function shotsAsPrompt(request: UnifiedRequest): string | undefined {
  const joined = request.shots?.map((shot) => shot.prompt).join(' / ');
  return joined ? Array.from(joined).slice(0, APIMODELS_PROMPT_LIMIT).join('') : undefined;
}

/** The seed's JSON: duration as a string ("5", or "3" to "15" on V3), sound as "on"/"off". */
const apiModelsSubmit: HttpSubmitCall = async (offer, request, context) => {
  const json: Record<string, unknown> = {
    model: providerModelName(offer, request.mode),
    mode: request.mode,
  };
  // Image-to-video may leave the prompt out ("Required for text-to-video"). A multi-shot request
  // without one still needs it on text-to-video: the shots' prompts stand in. The official API
  // ignores the top-level prompt with multi_shot; that apimodels forwards it so is unverified.
  const prompt = request.prompt || (request.startImage ? undefined : shotsAsPrompt(request));
  if (prompt) json.prompt = prompt;
  if (offer.motionVideo === 'required' && request.motionVideo) {
    // Motion control: the motion video sets the length, so no duration is sent.
    json.motion_video = await context.images.asUrl(request.motionVideo);
  } else {
    json.duration = String(request.duration);
  }
  if (request.shots) {
    // The seed's `multi_shot`, with the shots as the official API's `multi_prompt`.
    Object.assign(json, officialMultiShotFields(request.shots));
  }
  if (request.sound !== undefined) json.sound = request.sound ? 'on' : 'off';
  if (request.negativePrompt !== undefined) json.negative_prompt = request.negativePrompt;
  if (request.aspectRatio !== undefined) json.aspect_ratio = request.aspectRatio;
  if (request.cfgScale !== undefined) json.cfg_scale = request.cfgScale;
  if (request.cameraControl) json.camera_control = request.cameraControl;
  // apimodels takes a URL or raw base64: URLs go as they are, stored blobs as base64.
  if (request.startImage) {
    json.image = await jsonImage(context.images, request.startImage, 'base64');
  }
  if (request.endImage) {
    json.image_tail = await jsonImage(context.images, request.endImage, 'base64');
  }
  if (context.callbackUrl) json.callback_url = context.callbackUrl;
  Object.assign(json, request.providerOptions?.apimodels);
  return { path: GENERATIONS_PATH, json };
};

/** The seed's task states: pending, processing, completed, failed. */
export function toTaskStatus(data: z.infer<typeof apiModelsTaskDataSchema>): TaskStatus {
  switch (data.state) {
    case 'pending':
      return { state: 'queued' };
    case 'completed': {
      const urls = data.resultUrls ?? [];
      if (urls.length === 0) return succeededWithoutVideo(PROVIDER, data.taskId, 'resultUrls');
      return { state: 'succeeded', videos: urls.map((url) => ({ url })) };
    }
    case 'failed':
      return failedTaskStatus(data.failMsg);
    default:
      // `processing`, and any state the seed does not list: still under the attempt's time cap.
      return { state: 'running', detail: data.state };
  }
}
