import { z } from 'zod';
import type { ProviderErrorKind } from '../errors.js';
import type { UnifiedRequest } from '../request/unified-request.js';
import { FAL_DISPLAY_NAME, type FalOffer } from './fal-catalog.js';
import { FAL_OFFERING } from './fal-offering.js';
import type { ApiKeySettings } from './kit/adapter-settings.js';
import { failedTaskStatus } from './kit/content-rejection.js';
import { jsonImage } from './kit/image-form.js';
import { asRecord, errorText, firstString, isHttpUrl, parseJsonText } from './kit/lenient-json.js';
import {
  callProvider,
  type ErrorEnvelope,
  readProviderAnswer,
  sendToProvider,
} from './kit/provider-answer.js';
import { returnedUrl } from './kit/returned-url.js';
import {
  type AcceptedSpec,
  type AdapterTransport,
  fittingSubmitter,
  keyedTransport,
} from './kit/submit-offer.js';
import { succeededWithoutVideo, taskNotFound } from './kit/task-status.js';
import { providerModelName } from './offer-check.js';
import type {
  CallContext,
  CancelResult,
  ProviderAdapter,
  SubmitContext,
  TaskHandle,
  TaskStatus,
} from './provider.js';

/**
 * fal.ai's queue (reference/peer-apis.md, fal-js queue.ts): `POST {base}/{endpoint_id}`
 * (`Authorization: Key …`, optional `?fal_webhook=<url>`) answers `{request_id, status_url,
 * response_url, cancel_url}`; the status URL says IN_QUEUE, IN_PROGRESS or COMPLETED, and the
 * response URL then holds the output `{video: {url}}` or the error. Cancel is a PUT on the
 * cancel URL. fal takes no idempotency key, so an ambiguous submit is never re-sent.
 */

const PROVIDER = FAL_OFFERING.id;
export const FAL_DEFAULT_BASE_URL = 'https://queue.fal.run';

export type FalSettings = ApiKeySettings;

/** The queue's answer to a submit (fal-js `EnqueueResult` plus the returned URLs). */
export const falSubmitResponseSchema = z.looseObject({
  request_id: z.string().min(1),
  response_url: z.string().min(1),
  status_url: z.string().min(1),
  cancel_url: z.string().min(1),
  queue_position: z.number().optional(),
});

/** On COMPLETED, the error a request ended with (unverified: read when present). */
const falCompletionError = { error: z.string().nullish(), error_type: z.string().nullish() };

/** fal-js `QueueStatus`, with the completion error. */
export const falStatusSchema = z.looseObject({
  status: z.string(),
  queue_position: z.number().optional(),
  ...falCompletionError,
});

/** Every Kling endpoint's output: `{video: {url, content_type?, file_name?, file_size?}}`. */
export const falResultSchema = z.looseObject({
  video: z.looseObject({ url: z.string() }),
});

/**
 * fal's errors: a request error `{detail: "text", error_type}`, or a model error
 * `{detail: [{loc, msg, type}]}`. fal's error reference says to branch on `type`, never on
 * `msg` ("Client code should not parse and rely on the msg field").
 */
const falErrorSchema = z.looseObject({
  detail: z.union([
    z.string(),
    z.array(
      z.looseObject({
        msg: z.string(),
        loc: z.array(z.unknown()).optional(),
        type: z.string().optional(),
      }),
    ),
  ]),
  error_type: z.string().nullish(),
});

/**
 * fal's type for input its content checker (or the model's own moderation) refused. Permanent:
 * another provider would be paid to refuse the same prompt or image.
 */
const FAL_CONTENT_REFUSAL = 'content_policy_violation';

/** The kind a fal error type stands for, when the type says more than the HTTP status. */
function kindOfFalType(type: string | null | undefined): ProviderErrorKind | undefined {
  return type === FAL_CONTENT_REFUSAL ? 'content-rejected' : undefined;
}

export const FAL_ENVELOPE: ErrorEnvelope = {
  notFoundOn404: true,
  read(body) {
    const parsed = falErrorSchema.safeParse(body);
    if (!parsed.success) return undefined;
    const { detail, error_type: errorType } = parsed.data;
    const items = typeof detail === 'string' ? [] : detail;
    const message =
      typeof detail === 'string'
        ? detail
        : items.map((item) => `${(item.loc ?? []).join('.')}: ${item.msg}`).join('; ');
    const type = items.find((item) => kindOfFalType(item.type))?.type ?? items[0]?.type;
    const code = type ?? errorType ?? undefined;
    const kind = kindOfFalType(code);
    return {
      message: `${message || 'fal.ai error without detail'}${code ? ` (${code})` : ''}`,
      ...(code ? { code } : {}),
      ...(kind ? { kind } : {}),
    };
  },
};

/** How an accepted submit's answer is read. */
const FAL_ACCEPTED: AcceptedSpec<z.infer<typeof falSubmitResponseSchema>> = {
  envelope: FAL_ENVELOPE,
  success: falSubmitResponseSchema,
  expected: 'request_id and the queue URLs',
};

export function createFalProvider(settings: FalSettings): ProviderAdapter {
  const spec = { provider: PROVIDER, envelope: FAL_ENVELOPE };
  const transport = keyedTransport(settings, FAL_DEFAULT_BASE_URL, {
    authorization: `Key ${settings.apiKey}`,
  });
  const { baseUrl, headers } = transport;
  const submit = fittingSubmitter(FAL_OFFERING, transport, falSubmit, FAL_ACCEPTED);
  const url = (handle: TaskHandle, field: string) =>
    returnedUrl(handle, field, baseUrl, FAL_DISPLAY_NAME);

  async function get<T>(target: string, success: z.ZodType<T>, context: CallContext) {
    return callProvider(
      settings.http,
      { method: 'GET', url: target, headers, signal: context.signal },
      { ...spec, purpose: 'status', success, expected: 'the queue status in the body' },
    );
  }

  return {
    ...FAL_OFFERING,
    async submit(request, context) {
      const accepted = await submit(request, context);
      const handle: TaskHandle = {
        provider: PROVIDER,
        taskId: accepted.request_id,
        statusUrl: accepted.status_url,
        responseUrl: accepted.response_url,
        cancelUrl: accepted.cancel_url,
      };
      return { taskId: handle.taskId, handle };
    },
    async status(handle, context) {
      const answer = await get(url(handle, 'statusUrl'), falStatusSchema, context);
      if (!answer.found) {
        return taskNotFound(FAL_DISPLAY_NAME, handle.taskId, answer.error.message);
      }
      const body = answer.value;
      switch (body.status) {
        case 'IN_QUEUE':
          return {
            state: 'queued',
            ...(body.queue_position !== undefined
              ? { detail: `queue position ${body.queue_position}` }
              : {}),
          };
        case 'COMPLETED':
          if (body.error) return failedTaskStatus(body.error, kindOfFalType(body.error_type));
          return falResult(transport, handle, context);
        default:
          // IN_PROGRESS, and any word fal adds later: still under the attempt's time cap.
          return { state: 'running', detail: body.status };
      }
    },
    async cancel(handle, context) {
      const response = await sendToProvider(
        settings.http,
        { method: 'PUT', url: url(handle, 'cancelUrl'), headers, signal: context.signal },
        { provider: PROVIDER, purpose: 'status' },
      );
      return readCancelAnswer(response, handle);
    },
  };
}

/** The output of a COMPLETED request: the video, or the error it ended with. */
async function falResult(
  transport: AdapterTransport,
  handle: TaskHandle,
  context: CallContext,
): Promise<TaskStatus> {
  const request = {
    method: 'GET' as const,
    url: returnedUrl(handle, 'responseUrl', transport.baseUrl, FAL_DISPLAY_NAME),
    headers: transport.headers,
    signal: context.signal,
  };
  const response = await sendToProvider(transport.http, request, {
    provider: PROVIDER,
    purpose: 'status',
  });
  // A finished request that failed answers its error (a 422 validation or content error).
  if (response.status === 400 || response.status === 422) {
    const error = FAL_ENVELOPE.read(parseJsonText(response.text)?.value, response.status);
    if (error) return failedTaskStatus(error.message, error.kind);
  }
  const answer = readProviderAnswer(response, {
    provider: PROVIDER,
    envelope: FAL_ENVELOPE,
    purpose: 'status',
    success: falResultSchema,
    expected: 'video.url in the output',
  });
  if (!answer.found) {
    return taskNotFound(FAL_DISPLAY_NAME, handle.taskId, answer.error.message);
  }
  const videoUrl = answer.value.video.url;
  if (!isHttpUrl(videoUrl)) return succeededWithoutVideo(PROVIDER, handle.taskId, 'video.url');
  return { state: 'succeeded', videos: [{ url: videoUrl }] };
}

/** fal's cancel answers: 202 CANCELLATION_REQUESTED, 400 ALREADY_COMPLETED, 404 not found. */
function readCancelAnswer(
  response: Parameters<typeof readProviderAnswer>[0],
  handle: TaskHandle,
): CancelResult {
  const body = asRecord(parseJsonText(response.text)?.value);
  const word = firstString(body.status);
  if (response.status >= 200 && response.status < 300) {
    return { outcome: 'cancelled', ...(word ? { detail: word } : {}) };
  }
  if (response.status === 400 && word === 'ALREADY_COMPLETED') {
    return { outcome: 'already-finished', detail: word };
  }
  const answer = readProviderAnswer(response, {
    provider: PROVIDER,
    purpose: 'status',
    envelope: FAL_ENVELOPE,
    success: z.unknown(),
    expected: 'a cancel answer',
  });
  if (!answer.found) return { outcome: 'not-found', detail: answer.error.message };
  return { outcome: 'cancelled', detail: errorText(body) ?? `request ${handle.taskId}` };
}

/**
 * The endpoint and JSON for a request: `duration` as a string, images as URLs (stored blobs as
 * data URIs), `generate_audio` always said (fal renders audio by default), and multi-shot
 * requests as `multi_prompt` instead of `prompt` (fal takes one or the other).
 */
export async function falSubmit(
  offer: FalOffer,
  request: UnifiedRequest,
  { images, callbackUrl }: SubmitContext,
): Promise<{ path: string; json: Record<string, unknown> }> {
  const image = request.startImage !== undefined;
  const endpointId = `${providerModelName(offer, request.mode)}/${image ? 'image' : 'text'}-to-video`;
  const json: Record<string, unknown> = { duration: String(request.duration) };
  if (request.shots) {
    json.multi_prompt = request.shots.map((shot) => ({
      prompt: shot.prompt,
      duration: String(shot.duration),
    }));
    json.shot_type = 'customize';
  } else if (request.prompt) {
    json.prompt = request.prompt;
  }
  if (request.negativePrompt !== undefined) json.negative_prompt = request.negativePrompt;
  if (request.cfgScale !== undefined) json.cfg_scale = request.cfgScale;
  if (request.aspectRatio !== undefined && !image && offer.aspectRatio !== 'unsupported') {
    json.aspect_ratio = request.aspectRatio;
  }
  if (offer.sound !== 'unsupported') json.generate_audio = request.sound === true;
  if (request.startImage) {
    json[offer.imageFields] = await jsonImage(images, request.startImage, 'data-uri');
  }
  if (request.endImage) {
    const field = offer.imageFields === 'image_url' ? 'tail_image_url' : 'end_image_url';
    json[field] = await jsonImage(images, request.endImage, 'data-uri');
  }
  Object.assign(json, request.providerOptions?.fal);
  const query = callbackUrl ? `?fal_webhook=${encodeURIComponent(callbackUrl)}` : '';
  return { path: `/${endpointId}${query}`, json };
}
