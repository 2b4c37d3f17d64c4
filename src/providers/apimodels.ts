import { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from '../errors.js';
import type { UnifiedRequest } from '../request/unified-request.js';
import {
  APIMODELS_DISPLAY_NAME,
  APIMODELS_OFFERS,
  apiModelsIssues,
  priceApiModels,
} from './apimodels-catalog.js';
import { failedTaskStatus } from './content-rejection.js';
import { checkAgainstOffers, providerModelName } from './offer-check.js';
import type {
  CallContext,
  ImageResolver,
  OfferCheck,
  ProviderAdapter,
  SubmitContext,
  SubmittedTask,
  TaskHandle,
  TaskStatus,
} from './provider.js';
import {
  acceptedButUnreadable,
  classifyHttpStatus,
  httpFailure,
  type ProviderHttpResponse,
  type ProviderHttpSettings,
  parseAcceptedBody,
  parseJsonBody,
  providerRequest,
} from './provider-http.js';

/**
 * apimodels.app (seeds/003): `POST {base}/api/v1/video/generations` creates a task (text- or
 * image-to-video, chosen by whether `image` is present); `GET` on the same path with
 * `?task_id=` polls it. Every body is wrapped in `{code, msg, data}`.
 */

const PROVIDER = 'apimodels';
export const APIMODELS_DEFAULT_BASE_URL = 'https://apimodels.app';
const GENERATIONS_PATH = '/api/v1/video/generations';

export interface ApiModelsSettings {
  apiKey: string;
  baseUrl?: string;
  http: ProviderHttpSettings;
}

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

export function createApiModelsProvider(settings: ApiModelsSettings): ProviderAdapter {
  const baseUrl = (settings.baseUrl ?? APIMODELS_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${settings.apiKey}` };

  function check(request: UnifiedRequest): OfferCheck {
    const result = checkAgainstOffers(APIMODELS_DISPLAY_NAME, APIMODELS_OFFERS, request);
    return result.offer
      ? { ...result, issues: [...result.issues, ...apiModelsIssues(request)] }
      : result;
  }

  async function submit(request: UnifiedRequest, context: SubmitContext): Promise<SubmittedTask> {
    const { offer, issues } = check(request);
    if (!offer || issues.length > 0) {
      throw new ProviderError(
        'invalid-request',
        PROVIDER,
        `request does not fit apimodels.app: ${issues.map((issue) => `${issue.field} ${issue.message}`).join('; ')}`,
      );
    }
    const body: Record<string, unknown> = {
      model: providerModelName(offer, request.mode),
      prompt: request.prompt,
      mode: request.mode,
      // The seed: duration is a string ("5", or "3" to "15" on V3).
      duration: String(request.duration),
    };
    if (request.sound !== undefined) body.sound = request.sound ? 'on' : 'off';
    if (request.negativePrompt !== undefined) body.negative_prompt = request.negativePrompt;
    if (request.aspectRatio !== undefined) body.aspect_ratio = request.aspectRatio;
    if (request.cfgScale !== undefined) body.cfg_scale = request.cfgScale;
    if (request.cameraControl) body.camera_control = request.cameraControl;
    if (request.startImage)
      body.image = await imageForApiModels(context.images, request.startImage);
    if (request.endImage) {
      body.image_tail = await imageForApiModels(context.images, request.endImage);
    }
    if (context.callbackUrl) body.callback_url = context.callbackUrl;
    Object.assign(body, request.providerOptions?.apimodels);

    const response = await providerRequest(PROVIDER, settings.http, {
      method: 'POST',
      url: `${baseUrl}${GENERATIONS_PATH}`,
      headers,
      json: body,
      signal: context.signal,
    });
    if (response.status < 200 || response.status >= 300) throw apiModelsHttpError(response);
    const json = parseAcceptedBody(PROVIDER, response);
    const rejected = businessError(response, json);
    if (rejected) throw rejected;
    const parsed = apiModelsCreateResponseSchema.safeParse(json);
    if (!parsed.success)
      throw acceptedButUnreadable(PROVIDER, response, 'no data.taskId in the response');
    const taskId = parsed.data.data.taskId;
    return { taskId, handle: { provider: PROVIDER, taskId } };
  }

  async function status(handle: TaskHandle, context: CallContext): Promise<TaskStatus> {
    const response = await providerRequest(PROVIDER, settings.http, {
      method: 'GET',
      url: `${baseUrl}${GENERATIONS_PATH}?task_id=${encodeURIComponent(handle.taskId)}`,
      headers,
      signal: context.signal,
    });
    if (response.status === 404) return taskVanished(handle.taskId);
    if (response.status < 200 || response.status >= 300) throw apiModelsHttpError(response);
    const json = parseJsonBody(PROVIDER, response);
    const envelope = envelopeSchema.safeParse(json);
    if (envelope.success && envelope.data.code === 404) return taskVanished(handle.taskId);
    const rejected = businessError(response, json);
    if (rejected) throw rejected;
    const parsed = apiModelsTaskResponseSchema.safeParse(json);
    if (!parsed.success) {
      throw new ProviderError(
        'transient',
        PROVIDER,
        `unreadable task status: ${response.text.slice(0, 160)}`,
        { httpStatus: response.status },
      );
    }
    return toTaskStatus(parsed.data.data);
  }

  return {
    id: PROVIDER,
    displayName: APIMODELS_DISPLAY_NAME,
    capabilities: {
      offers: APIMODELS_OFFERS,
      callbacks: true,
      callbackField: 'callback_url',
      idempotentSubmit: false,
      imageForms: ['url', 'base64'],
      priceUnit: 'USD',
      usdPerUnit: 1,
      unverified: [
        'apimodels.app error response bodies ({code, msg} assumed, like its success envelope)',
        'apimodels.app callback body (the seed names callback_url but not what it POSTs)',
      ],
    },
    check,
    price: priceApiModels,
    submit,
    status,
  };
}

/** The seed's task states: pending, processing, completed, failed. */
export function toTaskStatus(data: z.infer<typeof apiModelsTaskDataSchema>): TaskStatus {
  switch (data.state) {
    case 'pending':
      return { state: 'queued' };
    case 'completed': {
      const urls = data.resultUrls ?? [];
      if (urls.length === 0) {
        return {
          state: 'failed',
          reason: 'apimodels.app reported the task completed without any resultUrls',
          kind: 'provider-unavailable',
        };
      }
      return { state: 'succeeded', videos: urls.map((url) => ({ url })) };
    }
    case 'failed':
      return failedTaskStatus(data.failMsg);
    default:
      // `processing`, and any state the seed does not list: still under the attempt's time cap.
      return { state: 'running', detail: data.state };
  }
}

/** A task the provider no longer knows cannot finish: the attempt fails and the job fails over. */
function taskVanished(taskId: string): TaskStatus {
  return {
    state: 'failed',
    reason: `apimodels.app no longer knows task ${taskId} (not found)`,
    kind: 'provider-unavailable',
  };
}

/** apimodels takes a URL or raw base64: URLs go as they are, stored blobs as base64. */
async function imageForApiModels(images: ImageResolver, reference: string): Promise<string> {
  return /^https?:\/\//i.test(reference) ? images.asUrl(reference) : images.asBase64(reference);
}

/**
 * A 2xx whose envelope carries an error code (the envelope has its own `code`): read it like
 * the HTTP status of the same number (400 invalid, 401/402 unavailable, 5xx transient).
 */
function businessError(response: ProviderHttpResponse, json: unknown): ProviderError | undefined {
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success || envelope.data.code === 200 || envelope.data.code === 0) return undefined;
  const code = envelope.data.code;
  const kind: ProviderErrorKind =
    code >= 400 && code < 600 ? classifyHttpStatus(code) : 'invalid-request';
  return httpFailure(PROVIDER, response, kind, envelope.data.msg ?? `code ${code}`, code);
}

function apiModelsHttpError(response: ProviderHttpResponse): ProviderError {
  return httpFailure(PROVIDER, response, undefined, errorDetail(response.text));
}

function errorDetail(text: string): string {
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['msg', 'message', 'error']) {
      const candidate = value?.[key];
      if (typeof candidate === 'string' && candidate) return candidate;
      const nested = (candidate as { message?: unknown } | undefined)?.message;
      if (typeof nested === 'string' && nested) return nested;
    }
  } catch {
    // Not JSON: the raw start of the body says enough.
  }
  return text.slice(0, 200);
}
