import { FormData } from 'undici';
import { z } from 'zod';
import { ai302SubmitPath } from './302ai-catalog.js';
import { AI302_OFFERING } from './302ai-offering.js';
import type { ApiKeySettings } from './kit/adapter-settings.js';
import { failedTaskStatus } from './kit/content-rejection.js';
import { createHttpAdapter, type HttpSubmitCall } from './kit/http-adapter.js';
import { asRecord, errorText, firstId, firstString, isHttpUrl } from './kit/lenient-json.js';
import type { ErrorEnvelope } from './kit/provider-answer.js';
import type { ProviderAdapter, TaskStatus } from './provider.js';

/**
 * 302.AI (seeds/002): Kling 2.1 image-to-video as multipart/form-data with the first frame as a
 * file part (`input_image`), then a free Fetch call per task. The seed documents the request
 * fields and prices only; URLs and response bodies are read tolerantly (see below).
 */

const PROVIDER = AI302_OFFERING.id;
export const AI302_DEFAULT_BASE_URL = 'https://api.302.ai';

export type Ai302Settings = ApiKeySettings;

/**
 * Unverified: the seed gives the Fetch call's parameters (path `id`, e.g. `kling_xxxx`; query
 * `geo=global`) but not its URL. 302.AI's API reference on Apifox lists it as
 * `GET /klingai/task/{id}/fetch`, and public clients call it so.
 */
export function ai302FetchPath(taskId: string): string {
  return `/klingai/task/${encodeURIComponent(taskId)}/fetch?geo=global`;
}

/** Unverified: 302.AI's error body `{error: {err_code, message}}`; a 404 in it is "no such task". */
const ai302ErrorSchema = z.looseObject({
  error: z.looseObject({ err_code: z.union([z.number(), z.string()]), message: z.string() }),
});
const AI302_ENVELOPE: ErrorEnvelope = {
  notFoundOn404: true,
  read(body) {
    const parsed = ai302ErrorSchema.safeParse(body);
    if (!parsed.success) return undefined;
    const { err_code: code, message } = parsed.data.error;
    return { message, code };
  },
};

export function createAi302Provider(settings: Ai302Settings): ProviderAdapter {
  return createHttpAdapter(AI302_OFFERING, settings, {
    submitCall: ai302Submit,
    accepted: (body) => {
      const { taskId } = readAi302TaskTolerantly(body);
      return taskId ? { provider: PROVIDER, taskId, endpoint: 'image2video' } : undefined;
    },
    acceptedExpected: 'task id in the response',
    statusUrl: (handle, baseUrl) => `${baseUrl}${ai302FetchPath(handle.taskId)}`,
    statusBody: z.unknown(),
    readStatus: (body) => readAi302TaskTolerantly(body).status,
    envelope: AI302_ENVELOPE,
    defaultBaseUrl: AI302_DEFAULT_BASE_URL,
  });
}

/**
 * Multipart, to the endpoint for the mode and duration: pass-through fields first, then the
 * mapped ones, and the first frame as a file part.
 */
const ai302Submit: HttpSubmitCall = async (_offer, request, { images }) => {
  const form = new FormData();
  for (const [name, value] of Object.entries(request.providerOptions?.['302ai'] ?? {})) {
    if (value !== undefined && value !== null) form.append(name, String(value));
  }
  if (request.startImage) {
    const image = await images.asBytes(request.startImage);
    form.append(
      'input_image',
      new Blob([image.bytes], { type: image.contentType }),
      image.fileName,
    );
  }
  if (request.prompt !== '') form.append('prompt', request.prompt);
  if (request.negativePrompt !== undefined) form.append('negative_prompt', request.negativePrompt);
  if (request.cfgScale !== undefined) form.append('cfg', String(request.cfgScale));
  if (request.aspectRatio !== undefined) form.append('aspect_ratio', request.aspectRatio);
  if (request.sound !== undefined) form.append('enable_audio', String(request.sound));
  return { path: ai302SubmitPath(request), form };
};

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
      if (isHttpUrl(url)) return url;
    }
  }
  return undefined;
}
