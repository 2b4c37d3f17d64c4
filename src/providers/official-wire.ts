import { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from '../errors.js';
import type { ProviderId } from '../request/unified-request.js';
import { failedTaskStatus } from './kit/content-rejection.js';
import type { EnvelopeError, ErrorEnvelope } from './kit/provider-answer.js';
import { succeededWithoutVideo } from './kit/task-status.js';
import type { ModelOffer, TaskHandle, TaskStatus } from './provider.js';

/**
 * The official Kling wire format (reference/providers.md §1), spoken by the official API
 * (`kling`) and by OpenAI-HK, which proxies it (seeds/001): endpoints, response schemas, the
 * `{code, message}` error envelope with its business codes, and the task status mapping.
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

/** The business code the official API sends for an expired token. */
export const TOKEN_EXPIRED_CODE = 1004;
/** Code 1203: the requested resource (here, the task) does not exist. */
export const TASK_NOT_FOUND_CODE = 1203;

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
 * Unverified: Kling answers a reused `external_task_id` with a parameter error naming the
 * field; no source gives its exact wording, so this looks for the field name and a word for
 * "already exists".
 */
export function namesReusedExternalId(message: string | null | undefined): boolean {
  return (
    /external_task_id/i.test(message ?? '') &&
    /exist|duplicat|repeat|already|重复|已存在/i.test(message ?? '')
  );
}

/**
 * The official `{code, message}` envelope, in error statuses and in 2xx bodies alike (a
 * non-zero code on HTTP 200 is an error too). `keySent`: this call carried our
 * `external_task_id`, so a "reused id" error means an earlier send was accepted.
 */
export function officialEnvelope(keySent = false): ErrorEnvelope {
  return {
    inSuccessBodies: true,
    read(body: unknown): EnvelopeError | undefined {
      const parsed = officialEnvelopeSchema.safeParse(body);
      if (!parsed.success || parsed.data.code === 0) return undefined;
      const { code, message } = parsed.data;
      const kind = classifyOfficialCode(code);
      const reused = keySent && kind === 'invalid-request' && namesReusedExternalId(message);
      return {
        message: `code ${code}${message ? `: ${message}` : ''}`,
        code,
        ...(reused ? { kind: 'transient' as const, earlierSendAccepted: true } : {}),
        ...(!reused && kind ? { kind } : {}),
        ...(code === TASK_NOT_FOUND_CODE ? { notFound: true } : {}),
      };
    },
  };
}

/** The business code of a raw body, when it is the official envelope (token renewal). */
export function officialCode(text: string): number | undefined {
  try {
    const parsed = officialEnvelopeSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `submitted → queued`, `processing → running`, `succeed → succeeded`, `failed → failed`.
 * A `succeed` without a video throws (transient): the provider did not report a failure.
 */
export function officialTaskStatus(provider: ProviderId, task: OfficialTask): TaskStatus {
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
        return succeededWithoutVideo(provider, task.task_id, 'task_result.videos');
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

export function officialHandle(
  provider: ProviderId,
  taskId: string,
  endpoint: OfficialEndpoint,
): TaskHandle {
  return { provider, taskId, endpoint };
}

/** The endpoint a handle's task was created on; status calls go back to it. */
export function handleEndpoint(provider: ProviderId, handle: TaskHandle): OfficialEndpoint {
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
