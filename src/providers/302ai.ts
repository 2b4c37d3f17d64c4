import { FormData } from 'undici';
import { ProviderError } from '../errors.js';
import type { UnifiedRequest } from '../request/unified-request.js';
import {
  AI302_DISPLAY_NAME,
  AI302_OFFERS,
  AI302_USD_PER_PTC,
  ai302SubmitPath,
  priceAi302,
} from './302ai-catalog.js';
import { failedTaskStatus } from './content-rejection.js';
import { checkAgainstOffers } from './offer-check.js';
import type {
  CallContext,
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
 * 302.AI (seeds/002): Kling 2.1 image-to-video as multipart/form-data with the first frame as a
 * file part (`input_image`), then a free Fetch call per task. The seed documents the request
 * fields and prices only; URLs and response bodies are read tolerantly (see below).
 */

const PROVIDER = '302ai';
export const AI302_DEFAULT_BASE_URL = 'https://api.302.ai';

export interface Ai302Settings {
  apiKey: string;
  baseUrl?: string;
  http: ProviderHttpSettings;
}

/**
 * Unverified: the seed gives the Fetch call's parameters (path `id`, e.g. `kling_xxxx`; query
 * `geo=global`) but not its URL. 302.AI's API reference on Apifox lists it as
 * `GET /klingai/task/{id}/fetch`, and public clients call it so.
 */
export function ai302FetchPath(taskId: string): string {
  return `/klingai/task/${encodeURIComponent(taskId)}/fetch?geo=global`;
}

export function createAi302Provider(settings: Ai302Settings): ProviderAdapter {
  const baseUrl = (settings.baseUrl ?? AI302_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${settings.apiKey}` };

  function check(request: UnifiedRequest): OfferCheck {
    return checkAgainstOffers(AI302_DISPLAY_NAME, AI302_OFFERS, request);
  }

  async function submit(request: UnifiedRequest, context: SubmitContext): Promise<SubmittedTask> {
    const { offer, issues } = check(request);
    if (!offer || issues.length > 0 || !request.startImage) {
      throw new ProviderError(
        'invalid-request',
        PROVIDER,
        `request does not fit ${AI302_DISPLAY_NAME}: ${issues.map((issue) => `${issue.field} ${issue.message}`).join('; ')}`,
      );
    }
    const form = new FormData();
    // Pass-through fields first; the mapped fields below are appended after them.
    for (const [name, value] of Object.entries(request.providerOptions?.['302ai'] ?? {})) {
      if (value !== undefined && value !== null) form.append(name, String(value));
    }
    const image = await context.images.asBytes(request.startImage);
    form.append(
      'input_image',
      new Blob([image.bytes], { type: image.contentType }),
      image.fileName,
    );
    form.append('prompt', request.prompt);
    if (request.negativePrompt !== undefined)
      form.append('negative_prompt', request.negativePrompt);
    if (request.cfgScale !== undefined) form.append('cfg', String(request.cfgScale));
    if (request.aspectRatio !== undefined) form.append('aspect_ratio', request.aspectRatio);
    if (request.sound !== undefined) form.append('enable_audio', String(request.sound));

    const response = await providerRequest(PROVIDER, settings.http, {
      method: 'POST',
      url: `${baseUrl}${ai302SubmitPath(request)}`,
      headers,
      form,
      signal: context.signal,
    });
    if (response.status < 200 || response.status >= 300) throw ai302HttpError(response);
    // A 2xx means 302.AI may have created (and billed) the task even if the body is unreadable.
    const body = parseAcceptedBody(PROVIDER, response);
    const { taskId } = readAi302TaskTolerantly(body);
    if (!taskId) throw acceptedButUnreadable(PROVIDER, response, 'no task id in the response');
    return { taskId, handle: { provider: PROVIDER, taskId, endpoint: 'image2video' } };
  }

  async function status(handle: TaskHandle, context: CallContext): Promise<TaskStatus> {
    const response = await providerRequest(PROVIDER, settings.http, {
      method: 'GET',
      url: `${baseUrl}${ai302FetchPath(handle.taskId)}`,
      headers,
      signal: context.signal,
    });
    if (response.status === 404) {
      // The task is gone at the provider: this attempt cannot finish, another provider might.
      return {
        state: 'failed',
        reason: `302.AI no longer knows task ${handle.taskId} (HTTP 404 on Fetch)`,
        kind: 'provider-unavailable',
      };
    }
    if (response.status < 200 || response.status >= 300) throw ai302HttpError(response);
    return readAi302TaskTolerantly(parseJsonBody(PROVIDER, response)).status;
  }

  return {
    id: PROVIDER,
    displayName: AI302_DISPLAY_NAME,
    capabilities: {
      offers: AI302_OFFERS,
      callbacks: false,
      idempotentSubmit: false,
      imageForms: ['multipart'],
      priceUnit: 'PTC',
      usdPerUnit: AI302_USD_PER_PTC,
      unverified: [
        '302.AI submit URLs (/klingai/m2v_21_img2video[_10s|_hq|_hq_10s]; the seed names the endpoints, not their paths)',
        '302.AI Fetch URL (/klingai/task/{id}/fetch?geo=global)',
        '302.AI submit and Fetch response bodies (data.task.id, numeric data.status 5/10/50/99, data.works[].resource.resource)',
        '302.AI error bodies ({error: {err_code, message}} assumed)',
        '302.AI PTC taken as 1 USD',
      ],
    },
    check,
    price: priceAi302,
    submit,
    status,
  };
}

/**
 * Unverified: no seed shows a 302.AI response body. Public 302.AI clients on GitHub read the
 * submit and Fetch bodies as `{data: {status, task: {id, status}, works: [{resource:
 * {resource: <mp4 URL>}}]}}`, with numeric statuses 5 (queued), 10 (rendering), 50 (failed) and
 * 99 (done), and some read `taskWorks` or `resource.url` instead. All of those are accepted
 * here, plus word statuses; anything without a video URL or a failure counts as running.
 */
export function readAi302TaskTolerantly(body: unknown): {
  taskId: string | undefined;
  status: TaskStatus;
} {
  const root = asRecord(body);
  const data = root.data !== undefined ? asRecord(root.data) : root;
  const task = asRecord(data.task);
  const taskId = firstId(task.id, data.task_id, data.taskId, data.id, root.task_id, root.id);
  const statusValue = data.status ?? task.status ?? root.status;
  const videoUrl = firstVideoUrl(data.works, data.taskWorks, data.videos);
  const message = firstString(
    task.message,
    task.failMsg,
    task.fail_reason,
    data.message,
    data.failMsg,
    errorText(data.error),
    errorText(root.error),
  );

  const kind = statusKind(statusValue);
  if (kind === 'failed') return { taskId, status: failedTaskStatus(message) };
  if (videoUrl && (kind === 'succeeded' || kind === undefined)) {
    return { taskId, status: { state: 'succeeded', videos: [{ url: videoUrl }] } };
  }
  if (kind === 'queued') return { taskId, status: { state: 'queued' } };
  const detail =
    statusValue !== undefined && kind === undefined
      ? `unknown status ${String(statusValue)}`
      : undefined;
  return { taskId, status: { state: 'running', ...(detail ? { detail } : {}) } };
}

const NUMERIC_STATUSES: Record<number, 'queued' | 'running' | 'failed' | 'succeeded'> = {
  5: 'queued',
  10: 'running',
  50: 'failed',
  99: 'succeeded',
};
const WORD_STATUSES: Record<string, 'queued' | 'running' | 'failed' | 'succeeded'> = {
  submitted: 'queued',
  queued: 'queued',
  pending: 'queued',
  processing: 'running',
  running: 'running',
  succeed: 'succeeded',
  succeeded: 'succeeded',
  success: 'succeeded',
  completed: 'succeeded',
  failed: 'failed',
  fail: 'failed',
  error: 'failed',
};

function statusKind(value: unknown): 'queued' | 'running' | 'failed' | 'succeeded' | undefined {
  if (typeof value === 'number') return NUMERIC_STATUSES[value];
  if (typeof value === 'string') {
    const numeric = Number(value);
    if (value.trim() !== '' && Number.isFinite(numeric)) return NUMERIC_STATUSES[numeric];
    return WORD_STATUSES[value.toLowerCase()];
  }
  return undefined;
}

function firstVideoUrl(...lists: unknown[]): string | undefined {
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const work of list) {
      const record = asRecord(work);
      const resource = asRecord(record.resource);
      const url = firstString(resource.resource, resource.url, record.url);
      if (url && /^https?:\/\//i.test(url)) return url;
    }
  }
  return undefined;
}

function firstId(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === 'string' && value.length > 0) return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

function ai302HttpError(response: ProviderHttpResponse): ProviderError {
  return httpFailure(PROVIDER, response, undefined, errorDetail(response.text));
}

/** The human part of an error body (`{error: {err_code, message}}`), else the start of the text. */
function errorDetail(text: string): string {
  try {
    const record = asRecord(JSON.parse(text));
    return errorText(record.error) ?? firstString(record.message) ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

function errorText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const record = asRecord(value);
  return firstString(record.message, record.msg, record.message_en);
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.length > 0);
}
