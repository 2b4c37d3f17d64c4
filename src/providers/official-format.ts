import { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from '../errors.js';
import type { ProviderId, UnifiedRequest } from '../request/unified-request.js';
import { failedTaskStatus } from './content-rejection.js';
import { checkAgainstOffers, providerModelName } from './offer-check.js';
import type {
  CallContext,
  ImageResolver,
  ModelOffer,
  OfferCheck,
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
 * The official Kling wire format (reference/providers.md §1), spoken by the official API
 * (`kling`) and by OpenAI-HK, which proxies it (seeds/001). Everything both share lives here
 * once: endpoints, response schemas, request bodies, status mapping and business-code errors.
 * The two adapters only differ in auth, callback field name, `external_task_id` and catalog.
 */

export const OFFICIAL_ENDPOINTS = ['text2video', 'image2video', 'omni-video'] as const;
export type OfficialEndpoint = (typeof OFFICIAL_ENDPOINTS)[number];

/** Paths relative to the provider's base URL (joined exactly like the seed examples). */
export const OFFICIAL_ENDPOINT_PATHS: Record<OfficialEndpoint, string> = {
  text2video: '/v1/videos/text2video',
  image2video: '/v1/videos/image2video',
  'omni-video': '/v1/videos/omni-video',
};

/** The four documented `task_status` values, in lifecycle order. */
export const OFFICIAL_TASK_STATUSES = ['submitted', 'processing', 'succeed', 'failed'] as const;

/** A catalog entry in the official format: which endpoint serves it, and whether `mode` is sent. */
export interface OfficialModelOffer extends ModelOffer {
  officialEndpoint: OfficialEndpoint;
  /**
   * False for the master models: they have a single quality tier and OpenAI-HK documents
   * `mode` as "not supported by kling-v2-master", so the field is left out.
   */
  sendsMode: boolean;
}

// ---------------------------------------------------------------------------------------------
// Response schemas. Loose objects: the provider adds fields over time and that must not break us.

const stringOrNumber = z.union([z.string(), z.number()]);

export const officialVideoSchema = z.looseObject({
  id: stringOrNumber.transform(String).optional(),
  url: z.string().min(1),
  /** Seconds as a string ("5.1"); read as a number when it parses. */
  duration: stringOrNumber.optional(),
});

export const officialImageSchema = z.looseObject({
  index: z.number().optional(),
  url: z.string().min(1),
});

export const officialTaskSchema = z.looseObject({
  task_id: z.union([z.string().min(1), z.number()]).transform(String),
  task_status: z.string().min(1),
  task_status_msg: z.string().nullish(),
  task_info: z.looseObject({ external_task_id: z.string().nullish() }).nullish(),
  created_at: z.number().optional(),
  updated_at: z.number().optional(),
  final_unit_deduction: stringOrNumber.nullish(),
  task_result: z
    .looseObject({
      videos: z.array(officialVideoSchema).nullish(),
      images: z.array(officialImageSchema).nullish(),
    })
    .nullish(),
});
export type OfficialTask = z.infer<typeof officialTaskSchema>;

/** Every official response: `{code, message, request_id, data}`; `code` 0 is success. */
export const officialEnvelopeSchema = z.looseObject({
  code: z.number(),
  message: z.string().nullish(),
  request_id: z.string().nullish(),
  data: z.unknown().optional(),
});

/** Create response: `data` is the new task (`task_status: "submitted"`). */
export const officialCreateResponseSchema = officialEnvelopeSchema.extend({
  code: z.literal(0),
  data: officialTaskSchema,
});

/** Query response: `data` is the task, with `task_status_msg` and `task_result` once known. */
export const officialQueryResponseSchema = officialEnvelopeSchema.extend({
  code: z.literal(0),
  data: officialTaskSchema,
});

// ---------------------------------------------------------------------------------------------
// Provider-specific differences between the official API and the proxies that speak its format.

export interface OfficialDialect {
  provider: ProviderId;
  displayName: string;
  /** `callback_url` on the official API; OpenAI-HK names it `notify_hook`. */
  callbackField: 'callback_url' | 'notify_hook';
  /** Only the official API documents `external_task_id` (the idempotency key). */
  sendsExternalTaskId: boolean;
}

export interface OfficialTransport {
  dialect: OfficialDialect;
  baseUrl: string;
  http: ProviderHttpSettings;
  /** The `Authorization` header value for the next call. */
  authorization(): Promise<string>;
  /**
   * A fresh credential after the provider answered code 1004 (token expired). Called at most
   * once per call; absent for static API keys, which cannot be renewed.
   */
  renewAuthorization?: () => Promise<string>;
}

/** The business code the official API sends for an expired token. */
export const TOKEN_EXPIRED_CODE = 1004;

// ---------------------------------------------------------------------------------------------
// Offer selection and request bodies.

/**
 * The same model is sold on text2video and image2video with different rules, and
 * `checkAgainstOffers` takes the first offer in the right mode. So the offers of the endpoint
 * the request needs (image2video when it has a start image) are put first; the others stay in
 * the list so a request no endpoint fits still gets the message naming the field.
 */
export function checkOfficialRequest(
  displayName: string,
  offers: readonly OfficialModelOffer[],
  request: UnifiedRequest,
): OfferCheck {
  const wantsImage = request.startImage !== undefined;
  const fits = (offer: OfficialModelOffer) =>
    wantsImage ? offer.startImage !== 'unsupported' : offer.startImage !== 'required';
  const ordered = [...offers.filter(fits), ...offers.filter((offer) => !fits(offer))];
  return checkAgainstOffers(displayName, ordered, request);
}

/** Official and OpenAI-HK take an image as a URL or raw base64 (no `data:` prefix). */
async function officialImage(images: ImageResolver, reference: string): Promise<string> {
  return /^https?:\/\//i.test(reference) ? images.asUrl(reference) : images.asBase64(reference);
}

/** The JSON body for one create call, in the official field names and types. */
export async function buildOfficialBody(
  dialect: OfficialDialect,
  offer: OfficialModelOffer,
  request: UnifiedRequest,
  context: SubmitContext,
): Promise<Record<string, unknown>> {
  // Pass-through fields first, so they can add to the body but never replace a mapped field.
  const body: Record<string, unknown> = { ...request.providerOptions?.[dialect.provider] };
  body.model_name = providerModelName(offer, request.mode);
  body.prompt = request.prompt;
  // Omni-video has no negative_prompt field (its catalog entries allow 0 characters).
  if (request.negativePrompt !== undefined && offer.maxNegativePromptLength > 0) {
    body.negative_prompt = request.negativePrompt;
  }
  // The official format takes the duration as a string ("5"), never a number.
  body.duration = String(request.duration);
  if (offer.sendsMode) body.mode = request.mode;

  const aspectRatioDropped =
    offer.aspectRatio === 'unsupported' ||
    (offer.aspectRatio === 'ignored-with-start-image' && request.startImage !== undefined);
  if (request.aspectRatio !== undefined && !aspectRatioDropped) {
    body.aspect_ratio = request.aspectRatio;
  }
  if (request.cfgScale !== undefined && offer.cfgScale) body.cfg_scale = request.cfgScale;
  if (request.cameraControl && offer.cameraControl !== 'unsupported') {
    body.camera_control = {
      type: request.cameraControl.type,
      ...(request.cameraControl.config ? { config: request.cameraControl.config } : {}),
    };
  }
  if (request.sound !== undefined && offer.sound !== 'unsupported') {
    body.sound = request.sound ? 'on' : 'off';
  }

  if (offer.officialEndpoint === 'image2video') {
    if (request.startImage) body.image = await officialImage(context.images, request.startImage);
    if (request.endImage) body.image_tail = await officialImage(context.images, request.endImage);
  } else if (offer.officialEndpoint === 'omni-video') {
    const imageList: { image_url: string; type: 'first_frame' | 'end_frame' }[] = [];
    if (request.startImage) {
      imageList.push({
        image_url: await officialImage(context.images, request.startImage),
        type: 'first_frame',
      });
    }
    if (request.endImage) {
      imageList.push({
        image_url: await officialImage(context.images, request.endImage),
        type: 'end_frame',
      });
    }
    if (imageList.length > 0) body.image_list = imageList;
  }

  if (context.callbackUrl) body[dialect.callbackField] = context.callbackUrl;
  if (dialect.sendsExternalTaskId && context.externalTaskId) {
    body.external_task_id = context.externalTaskId;
  }
  return body;
}

// ---------------------------------------------------------------------------------------------
// Calls.

/** Creates the task; the handle pins later status calls to the same endpoint. */
export async function submitOfficialTask(
  transport: OfficialTransport,
  offer: OfficialModelOffer,
  request: UnifiedRequest,
  context: SubmitContext,
): Promise<SubmittedTask> {
  const { provider } = transport.dialect;
  const endpoint = offer.officialEndpoint;
  const body = await buildOfficialBody(transport.dialect, offer, request, context);
  const response = await officialCall(transport, {
    method: 'POST',
    path: OFFICIAL_ENDPOINT_PATHS[endpoint],
    json: body,
    signal: context.signal,
  });
  const failure = officialFailure(provider, response);
  if (failure && context.externalTaskId !== undefined && isDuplicateExternalId(failure)) {
    // Our idempotency key is already taken: an earlier send of this very submit was accepted.
    // That is not a bad request but an ambiguous one, resolved by looking the task up.
    throw new ProviderError(
      'transient',
      provider,
      `${failure.message} (an earlier send was accepted)`,
      {
        ...(failure.httpStatus !== undefined ? { httpStatus: failure.httpStatus } : {}),
        ...(failure.providerCode !== undefined ? { providerCode: failure.providerCode } : {}),
        ambiguous: true,
        cause: failure,
      },
    );
  }
  if (failure) throw failure;

  // A 2xx to a create means the task may exist (and be billed) even when the body is unreadable.
  const json = parseAcceptedBody(provider, response);
  const parsed = officialCreateResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw acceptedButUnreadable(provider, response, 'no data.task_id in the response');
  }
  const taskId = parsed.data.data.task_id;
  return { taskId, handle: officialHandle(provider, taskId, endpoint) };
}

/** Queries one task on the endpoint it was created on. */
export async function officialTaskStatusCall(
  transport: OfficialTransport,
  handle: TaskHandle,
  context: CallContext,
): Promise<TaskStatus> {
  const { provider } = transport.dialect;
  const endpoint = handleEndpoint(provider, handle);
  const response = await officialCall(transport, {
    method: 'GET',
    path: `${OFFICIAL_ENDPOINT_PATHS[endpoint]}/${encodeURIComponent(handle.taskId)}`,
    signal: context.signal,
  });
  if (businessCode(response) === TASK_NOT_FOUND_CODE) {
    // The provider lost the task: this attempt cannot finish, another provider might.
    return {
      state: 'failed',
      reason: `${transport.dialect.displayName} no longer knows task ${handle.taskId} (code 1203)`,
      kind: 'provider-unavailable',
    };
  }
  const failure = officialFailure(provider, response);
  if (failure) throw failure;
  const parsed = officialQueryResponseSchema.safeParse(parseJsonBody(provider, response));
  if (!parsed.success) {
    throw new ProviderError(
      'transient',
      provider,
      `HTTP ${response.status} to the task query, but no task in the body: ${response.text.slice(0, 120)}`,
      { httpStatus: response.status },
    );
  }
  return officialTaskStatus(parsed.data.data);
}

/**
 * Looks a task up by the `external_task_id` it was created with. The official docs ("Query
 * Task (Single)", `GET /v1/videos/text2video/{id}`, as mirrored at docs.kkiai.com and
 * doc.aimanyi.top) list `task_id` and `external_task_id` as the two alternative request path
 * parameters ("choose one of the two query methods"), so the external id goes in the path.
 * Undefined when the provider says it does not know it (code 1203, or a 404 with its envelope).
 */
export async function findOfficialTask(
  transport: OfficialTransport,
  endpoint: OfficialEndpoint,
  externalTaskId: string,
  context: CallContext,
): Promise<SubmittedTask | undefined> {
  const { provider } = transport.dialect;
  const response = await officialCall(transport, {
    method: 'GET',
    path: `${OFFICIAL_ENDPOINT_PATHS[endpoint]}/${encodeURIComponent(externalTaskId)}`,
    signal: context.signal,
  });
  // Only the provider saying so counts as "not found": a bare 404 (a proxy, a wrong base URL)
  // proves nothing about the task, and concluding wrongly would invite a second submit.
  const code = businessCode(response);
  if (code === TASK_NOT_FOUND_CODE || (response.status === 404 && code !== undefined)) {
    return undefined;
  }
  const failure = officialFailure(provider, response);
  if (failure) throw failure;
  const parsed = officialQueryResponseSchema.safeParse(parseJsonBody(provider, response));
  if (!parsed.success) {
    throw new ProviderError(
      'transient',
      provider,
      `HTTP ${response.status} to the task lookup, but no task in the body: ${response.text.slice(0, 120)}`,
      { httpStatus: response.status },
    );
  }
  const task = parsed.data.data;
  const echoed = task.task_info?.external_task_id;
  // The path takes either id; a task whose own external id differs is not the one we sent.
  if (echoed && echoed !== externalTaskId) return undefined;
  return { taskId: task.task_id, handle: officialHandle(provider, task.task_id, endpoint) };
}

/** Code 1203: the requested resource (here, the task) does not exist. */
const TASK_NOT_FOUND_CODE = 1203;

/** One HTTP call with the transport's credential, renewing it once after code 1004. */
async function officialCall(
  transport: OfficialTransport,
  call: { method: 'GET' | 'POST'; path: string; json?: unknown; signal?: AbortSignal },
): Promise<ProviderHttpResponse> {
  const { provider } = transport.dialect;
  let authorization = await transport.authorization();
  let renewed = false;
  for (;;) {
    const response = await providerRequest(provider, transport.http, {
      method: call.method,
      url: `${transport.baseUrl}${call.path}`,
      headers: { authorization },
      ...(call.json !== undefined ? { json: call.json } : {}),
      ...(call.signal ? { signal: call.signal } : {}),
    });
    // An expired token is rejected before anything is created, so the call is safe to repeat.
    if (!renewed && transport.renewAuthorization && businessCode(response) === TOKEN_EXPIRED_CODE) {
      renewed = true;
      authorization = await transport.renewAuthorization();
      continue;
    }
    return response;
  }
}

export function officialHandle(
  provider: ProviderId,
  taskId: string,
  endpoint: OfficialEndpoint,
): TaskHandle {
  return { provider, taskId, endpoint };
}

function handleEndpoint(provider: ProviderId, handle: TaskHandle): OfficialEndpoint {
  const endpoint = handle.endpoint;
  if (
    typeof endpoint === 'string' &&
    (OFFICIAL_ENDPOINTS as readonly string[]).includes(endpoint)
  ) {
    return endpoint as OfficialEndpoint;
  }
  throw new ProviderError(
    'invalid-request',
    provider,
    `task handle ${handle.taskId} has no endpoint (one of ${OFFICIAL_ENDPOINTS.join(', ')})`,
  );
}

// ---------------------------------------------------------------------------------------------
// Status and errors.

/** `submitted → queued`, `processing → running`, `succeed → succeeded`, `failed → failed`. */
export function officialTaskStatus(task: OfficialTask): TaskStatus {
  switch (task.task_status) {
    case 'submitted':
      return { state: 'queued' };
    case 'processing':
      return { state: 'running' };
    case 'succeed': {
      const videos = (task.task_result?.videos ?? []).map((video) => {
        const seconds = Number(video.duration);
        return {
          url: video.url,
          ...(video.duration !== undefined && Number.isFinite(seconds)
            ? { durationSeconds: seconds }
            : {}),
        };
      });
      if (videos.length === 0) {
        return {
          state: 'failed',
          reason: `task ${task.task_id} succeeded without a video in task_result.videos`,
          kind: 'provider-unavailable',
        };
      }
      return { state: 'succeeded', videos };
    }
    case 'failed':
      // Moderation messages are permanent; any other render failure fails over.
      return failedTaskStatus(task.task_status_msg);
    default:
      // Unknown values count as running, under the attempt's wall-clock cap (providers.md §5).
      return { state: 'running', detail: `unknown task_status "${task.task_status}"` };
  }
}

/**
 * How each official business code is handled (reference/providers.md §6). The code wins over
 * the HTTP status: 1101/1102 come with HTTP 429 but waiting does not bring credit back.
 */
export function classifyOfficialCode(code: number): ProviderErrorKind | undefined {
  // Auth (1004 only after one token renewal, done in officialCall).
  if (code >= 1000 && code <= 1004) return 'provider-unavailable';
  // Account exception, arrears, resource pack used up, no access to the model.
  if (code >= 1100 && code <= 1103) return 'provider-unavailable';
  if (code === 1304) return 'provider-unavailable'; // IP whitelist
  if (code >= 1200 && code <= 1203) return 'invalid-request';
  if (code === 1300 || code === 1301) return 'content-rejected';
  if (code === 1302 || code === 1303) return 'transient'; // rate, account-wide concurrency
  if (code >= 5000 && code <= 5002) return 'transient';
  return undefined;
}

/**
 * The classified error for a response that is not a success (`code` other than 0, or an HTTP
 * error status); undefined for a 2xx whose body is success or unreadable (the caller decides
 * what an unreadable success means for its call).
 */
/** Kling answers a reused external_task_id with a parameter error naming the field. */
function isDuplicateExternalId(failure: ProviderError): boolean {
  return (
    failure.kind === 'invalid-request' &&
    /external_task_id/i.test(failure.message) &&
    /exist|duplicat|repeat/i.test(failure.message)
  );
}

export function officialFailure(
  provider: ProviderId,
  response: ProviderHttpResponse,
): ProviderError | undefined {
  const envelope = readEnvelope(response.text);
  const success = response.status >= 200 && response.status < 300;
  if (success && (envelope === undefined || envelope.code === 0)) return undefined;
  const code = envelope?.code;
  const byCode = code !== undefined ? classifyOfficialCode(code) : undefined;
  // A non-zero code nobody documents on an HTTP success: not ours to retry, so fail over.
  const kind = byCode ?? (success ? 'provider-unavailable' : classifyHttpStatus(response.status));
  const detail =
    envelope !== undefined
      ? `code ${envelope.code}${envelope.message ? `: ${envelope.message}` : ''}`
      : undefined;
  return httpFailure(provider, response, kind, detail, code);
}

function businessCode(response: ProviderHttpResponse): number | undefined {
  return readEnvelope(response.text)?.code;
}

function readEnvelope(text: string): { code: number; message?: string } | undefined {
  try {
    const parsed = officialEnvelopeSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    return {
      code: parsed.data.code,
      ...(parsed.data.message ? { message: parsed.data.message } : {}),
    };
  } catch {
    return undefined;
  }
}
