import { z } from 'zod';
import { ProviderError } from '../errors.js';
import type { UnifiedRequest } from '../request/unified-request.js';
import { failedTaskStatus } from './content-rejection.js';
import { HYPRLAB_DISPLAY_NAME, HYPRLAB_OFFERS, priceHyprLab } from './hyprlab-catalog.js';
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
  httpFailure,
  type ProviderHttpResponse,
  type ProviderHttpSettings,
  parseAcceptedBody,
  parseJsonBody,
  providerRequest,
} from './provider-http.js';

/**
 * HyprLab (seeds/000): `POST {base}/video/generations` returns a polling URL in `data[0].url`;
 * a GET on that URL returns the same envelope with the video URL in `data[0].url` once done.
 */

const PROVIDER = 'hyprlab';
export const HYPRLAB_DEFAULT_BASE_URL = 'https://api.hyprlab.io/v1';

export interface HyprLabSettings {
  apiKey: string;
  baseUrl?: string;
  http: ProviderHttpSettings;
}

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

export function createHyprLabProvider(settings: HyprLabSettings): ProviderAdapter {
  const baseUrl = (settings.baseUrl ?? HYPRLAB_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${settings.apiKey}` };

  function check(request: UnifiedRequest): OfferCheck {
    return checkAgainstOffers(HYPRLAB_DISPLAY_NAME, HYPRLAB_OFFERS, request);
  }

  async function submit(request: UnifiedRequest, context: SubmitContext): Promise<SubmittedTask> {
    const { offer, issues } = check(request);
    if (!offer || issues.length > 0) {
      throw new ProviderError(
        'invalid-request',
        PROVIDER,
        `request does not fit HyprLab: ${issues.map((issue) => `${issue.field} ${issue.message}`).join('; ')}`,
      );
    }
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
    if (request.startImage)
      body.start_image = await imageForHyprLab(context.images, request.startImage);
    if (request.endImage) body.end_image = await imageForHyprLab(context.images, request.endImage);
    Object.assign(body, request.providerOptions?.hyprlab);

    const response = await providerRequest(PROVIDER, settings.http, {
      method: 'POST',
      url: `${baseUrl}/video/generations`,
      headers,
      json: body,
      signal: context.signal,
    });
    if (response.status < 200 || response.status >= 300) throw hyprLabHttpError(response);
    const parsed = hyprLabSubmitResponseSchema.safeParse(parseAcceptedBody(PROVIDER, response));
    if (!parsed.success) {
      throw acceptedButUnreadable(PROVIDER, response, 'no task id and polling URL in the response');
    }
    const pollingUrl = parsed.data.data[0]!.url;
    const handle: TaskHandle = { provider: PROVIDER, taskId: parsed.data.id, pollingUrl };
    return { taskId: parsed.data.id, handle };
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
    const response = await providerRequest(PROVIDER, settings.http, {
      method: 'GET',
      url: pollingUrl,
      headers,
      signal: context.signal,
    });
    if (response.status === 404) {
      // The task is gone at the provider: this attempt cannot finish, another provider might.
      return {
        state: 'failed',
        reason: `HyprLab no longer knows task ${handle.taskId} (HTTP 404 on its polling URL)`,
        kind: 'provider-unavailable',
      };
    }
    if (response.status < 200 || response.status >= 300) throw hyprLabHttpError(response);
    return readHyprLabStatusTolerantly(parseJsonBody(PROVIDER, response), pollingUrl);
  }

  return {
    id: PROVIDER,
    displayName: HYPRLAB_DISPLAY_NAME,
    capabilities: {
      offers: HYPRLAB_OFFERS,
      callbacks: false,
      idempotentSubmit: false,
      imageForms: ['url', 'data-uri', 'base64'],
      priceUnit: 'USD',
      usdPerUnit: 1,
      unverified: [
        'HyprLab poll body while the video renders (no seed shows it; read tolerantly)',
        'HyprLab poll body for a failed task (no seed shows it; read tolerantly)',
        'HyprLab error response bodies (OpenAI-style {error:{message}} assumed)',
      ],
    },
    check,
    price: priceHyprLab,
    submit,
    status,
  };
}

/** HyprLab takes URL, data URI or base64: URLs go as they are, stored blobs as data URIs. */
async function imageForHyprLab(images: ImageResolver, reference: string): Promise<string> {
  return /^https?:\/\//i.test(reference) ? images.asUrl(reference) : images.asDataUri(reference);
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

function hyprLabHttpError(response: ProviderHttpResponse): ProviderError {
  return httpFailure(PROVIDER, response, undefined, errorDetail(response.text));
}

function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

/** The human part of an error body, when it is JSON; otherwise the start of the text. */
function errorDetail(text: string): string {
  try {
    const record = asRecord(JSON.parse(text));
    return (
      errorText(record.error) ?? firstString(record.message, record.detail) ?? text.slice(0, 200)
    );
  } catch {
    return text.slice(0, 200);
  }
}

function errorText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const record = asRecord(value);
  return firstString(record.message, record.msg, record.detail);
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.length > 0);
}
