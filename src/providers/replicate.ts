import { z } from 'zod';
import { ProviderError } from '../errors.js';
import type { UnifiedRequest } from '../request/unified-request.js';
import { type ApiKeySettings, bearerHeaders } from './kit/adapter-settings.js';
import { failedTaskStatus } from './kit/content-rejection.js';
import { jsonImage } from './kit/image-form.js';
import { errorText, isHttpUrl } from './kit/lenient-json.js';
import { callProvider, type ErrorEnvelope } from './kit/provider-answer.js';
import { onProviderHost, returnedUrl } from './kit/returned-url.js';
import { fittingSubmitter, keyedTransport } from './kit/submit-offer.js';
import { succeededWithoutVideo, taskNotFound } from './kit/task-status.js';
import { providerModelName } from './offer-check.js';
import type {
  CallContext,
  ProviderAdapter,
  SubmitContext,
  SubmittedTask,
  TaskHandle,
  TaskStatus,
} from './provider.js';
import { REPLICATE_DISPLAY_NAME, type ReplicateOffer } from './replicate-catalog.js';
import { REPLICATE_OFFERING } from './replicate-offering.js';

/**
 * Replicate (reference/peer-apis.md, replicate-javascript lib/predictions.js):
 * `POST {base}/v1/models/{owner}/{name}/predictions` with `{input, webhook,
 * webhook_events_filter: ["completed"]}` answers the prediction; `urls.get` polls it,
 * `urls.cancel` cancels it, `output` is the video URI. Outputs are deleted after an hour, so
 * the workflow downloads a finished video at once. There is no idempotency key: an ambiguous
 * submit is resolved by listing recent predictions and matching the per-attempt webhook URL
 * klingflow sent (`findTask`, lookup `adopt-only`), and never re-sent.
 */

export const REPLICATE_DEFAULT_BASE_URL = 'https://api.replicate.com';
export type ReplicateSettings = ApiKeySettings;
const PROVIDER = REPLICATE_OFFERING.id;

/**
 * Marks the webhook URL as Replicate's, so the callback server takes its larger bodies (a
 * prediction with its input and logs can exceed the 64 KB default; callback-server.ts).
 */
export const REPLICATE_WEBHOOK_MARKER = 'provider=replicate';

/** The webhook URL a submit sends for an attempt's callback URL (and that a lookup matches). */
export function replicateWebhookUrl(callbackUrl: string): string {
  return `${callbackUrl}${callbackUrl.includes('?') ? '&' : '?'}${REPLICATE_WEBHOOK_MARKER}`;
}

/** The prediction object (index.d.ts `Prediction`), the fields klingflow reads. */
export const replicatePredictionSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  webhook: z.string().nullish(),
  created_at: z.string().nullish(),
  urls: z.looseObject({ get: z.string().min(1), cancel: z.string().min(1) }),
});
type Prediction = z.infer<typeof replicatePredictionSchema>;

/** A page of `GET /v1/predictions` (index.d.ts `Page`), newest first. */
export const replicatePageSchema = z.looseObject({
  results: z.array(replicatePredictionSchema),
  next: z.string().nullish(),
});

/** Replicate's errors (problem details): `{title?, detail, status?}`. */
const replicateErrorSchema = z.looseObject({
  detail: z.string(),
  title: z.string().optional(),
  status: z.number().optional(),
});

export const REPLICATE_ENVELOPE: ErrorEnvelope = {
  notFoundOn404: true,
  read(body) {
    const parsed = replicateErrorSchema.safeParse(body);
    if (!parsed.success) return undefined;
    const { title, detail } = parsed.data;
    return { message: title && title !== detail ? `${title}: ${detail}` : detail };
  },
};

/** How far back a lookup reads the listing: an ambiguous submit is looked up within minutes. */
export const REPLICATE_LOOKUP_WINDOW_MS = 60 * 60 * 1000;
/** Pages (100 predictions each) a lookup reads at most before it gives up as unknown. */
export const REPLICATE_LOOKUP_MAX_PAGES = 10;

export function createReplicateProvider(settings: ReplicateSettings): ProviderAdapter {
  const spec = { provider: PROVIDER, envelope: REPLICATE_ENVELOPE };
  const transport = keyedTransport(
    settings,
    REPLICATE_DEFAULT_BASE_URL,
    bearerHeaders(settings.apiKey),
  );
  const { baseUrl, headers } = transport;
  const submit = fittingSubmitter(REPLICATE_OFFERING, transport, replicateSubmit, {
    envelope: REPLICATE_ENVELOPE,
    success: replicatePredictionSchema,
    expected: 'the prediction id and urls',
  });
  const url = (handle: TaskHandle, field: string) =>
    returnedUrl(handle, field, baseUrl, REPLICATE_DISPLAY_NAME);

  /** A call answered with one prediction (status and cancel). */
  async function prediction(method: 'GET' | 'POST', target: string, context: CallContext) {
    return callProvider(
      settings.http,
      { method, url: target, headers, signal: context.signal },
      {
        ...spec,
        purpose: 'status',
        success: replicatePredictionSchema,
        expected: 'the prediction',
      },
    );
  }

  return {
    ...REPLICATE_OFFERING,
    async submit(request, context) {
      return submitted(await submit(request, context));
    },
    async status(handle, context) {
      const answer = await prediction('GET', url(handle, 'getUrl'), context);
      if (!answer.found) {
        return taskNotFound(REPLICATE_DISPLAY_NAME, handle.taskId, answer.error.message);
      }
      return toTaskStatus(answer.value);
    },
    async findTask(_externalTaskId, _request, context) {
      // Without a webhook URL the submit carried nothing to match: the task cannot be adopted.
      if (!context.callbackUrl) return undefined;
      const webhook = replicateWebhookUrl(context.callbackUrl);
      const oldest = Date.now() - REPLICATE_LOOKUP_WINDOW_MS;
      let page = `${baseUrl}/v1/predictions`;
      for (let read = 0; read < REPLICATE_LOOKUP_MAX_PAGES; read++) {
        const answer = await callProvider(
          settings.http,
          { method: 'GET', url: page, headers, signal: context.signal },
          { ...spec, purpose: 'lookup', success: replicatePageSchema, expected: 'results' },
        );
        if (!answer.found) throw lookupFailure(`the listing answered ${answer.error.message}`);
        const { results, next } = answer.value;
        const match = results.find((prediction) => prediction.webhook === webhook);
        if (match) return submitted(match);
        const pastWindow = results.some(
          (prediction) => Date.parse(prediction.created_at ?? '') < oldest,
        );
        // The listing proves absence only when it was read back past the lookup window.
        if (!next || pastWindow) return undefined;
        page = onProviderHost(PROVIDER, 'next page', next, baseUrl, REPLICATE_DISPLAY_NAME);
      }
      throw lookupFailure(
        `${REPLICATE_LOOKUP_MAX_PAGES} pages of predictions did not reach back an hour`,
      );
    },
    async cancel(handle, context) {
      const answer = await prediction('POST', url(handle, 'cancelUrl'), context);
      if (!answer.found) return { outcome: 'not-found', detail: answer.error.message };
      const { status } = answer.value;
      return status === 'succeeded' || status === 'failed'
        ? { outcome: 'already-finished', detail: status }
        : { outcome: 'cancelled', detail: status };
    },
  };
}

function submitted(prediction: Prediction): SubmittedTask {
  const handle: TaskHandle = {
    provider: PROVIDER,
    taskId: prediction.id,
    getUrl: prediction.urls.get,
    cancelUrl: prediction.urls.cancel,
  };
  return { taskId: prediction.id, handle };
}

function lookupFailure(why: string): ProviderError {
  return new ProviderError(
    'transient',
    PROVIDER,
    `could not tell whether the prediction exists: ${why}`,
  );
}

/** The model's input with the version page's names; `duration` is an integer here. */
export async function replicateSubmit(
  offer: ReplicateOffer,
  request: UnifiedRequest,
  { images, callbackUrl }: SubmitContext,
): Promise<{ path: string; json: Record<string, unknown> }> {
  const input: Record<string, unknown> = { prompt: request.prompt, duration: request.duration };
  const inputMode = offer.inputMode?.[request.mode];
  if (inputMode) input.mode = inputMode;
  if (request.negativePrompt !== undefined) input.negative_prompt = request.negativePrompt;
  if (request.cfgScale !== undefined) input.cfg_scale = request.cfgScale;
  const image = request.startImage !== undefined;
  if (request.aspectRatio !== undefined && !image && offer.aspectRatio !== 'unsupported') {
    input.aspect_ratio = request.aspectRatio;
  }
  if (request.startImage) {
    input.start_image = await jsonImage(images, request.startImage, 'data-uri');
  }
  if (request.endImage) input.end_image = await jsonImage(images, request.endImage, 'data-uri');
  Object.assign(input, request.providerOptions?.replicate);
  const json: Record<string, unknown> = { input };
  if (callbackUrl) {
    json.webhook = replicateWebhookUrl(callbackUrl);
    json.webhook_events_filter = ['completed'];
  }
  return { path: `/v1/models/${providerModelName(offer, request.mode)}/predictions`, json };
}

/** starting → queued, processing → running, succeeded → the output URI(s), else failed. */
export function toTaskStatus(prediction: Prediction): TaskStatus {
  switch (prediction.status) {
    case 'starting':
      return { state: 'queued' };
    case 'succeeded': {
      const output = prediction.output;
      const urls = (Array.isArray(output) ? output : [output]).filter(isHttpUrl);
      if (urls.length === 0) return succeededWithoutVideo(PROVIDER, prediction.id, 'output');
      return { state: 'succeeded', videos: urls.map((videoUrl) => ({ url: videoUrl })) };
    }
    case 'failed':
      return failedTaskStatus(errorText(prediction.error));
    case 'canceled':
    case 'aborted':
      return {
        state: 'failed',
        reason: `the prediction was ${prediction.status}${errorText(prediction.error) ? `: ${errorText(prediction.error)}` : ''}`,
        kind: 'provider-unavailable',
      };
    default:
      // `processing`, and any status Replicate adds later: still under the attempt's time cap.
      return { state: 'running', detail: prediction.status };
  }
}
