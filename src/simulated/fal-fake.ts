import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CallbackingFakeServer } from './fake-callbacks.js';
import { apiKeyAuth, fakeRoute } from './fake-http.js';
import type { FakeProviderServer, FakeTask, Fault, RouteContext } from './fake-server.js';

/**
 * fal.ai's queue as reference/peer-apis.md describes it (from fal-js): `POST /{endpoint_id}`
 * with `Authorization: Key …` answers `{request_id, response_url, status_url, cancel_url,
 * gateway_request_id, queue_position}`; status and result live under the app's owner/alias
 * only (`/fal-ai/kling-video/requests/{id}/status`, `/fal-ai/kling-video/requests/{id}`),
 * cancel is `PUT …/requests/{id}/cancel`. Errors are FastAPI's `{detail}`; a failed request's
 * result is a 422 `{detail: [{loc, msg, type}]}`. With `?fal_webhook=<url>` the fake POSTs
 * `{request_id, gateway_request_id, status: "OK"|"ERROR", payload, error}` when it ends.
 */

export const FAL_FAKE_API_KEY = 'fal-fake-key-0123456789';

const APP = 'fal-ai/kling-video';

/** Endpoint families, whether they have text-to-video, and their image field names. */
const FAMILIES: Record<string, { text: boolean; modern: boolean; durations: string[] }> = {};
const FIVE_TEN = ['5', '10'];
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => String(from + index));
for (const family of ['v1/standard', 'v1.5/pro', 'v1.6/standard', 'v1.6/pro', 'v2/master']) {
  FAMILIES[family] = { text: true, modern: false, durations: FIVE_TEN };
}
FAMILIES['v2.1/master'] = { text: true, modern: false, durations: FIVE_TEN };
FAMILIES['v2.5-turbo/pro'] = { text: true, modern: false, durations: FIVE_TEN };
for (const family of ['v2.1/standard', 'v2.1/pro', 'v2.5-turbo/standard']) {
  FAMILIES[family] = { text: false, modern: false, durations: FIVE_TEN };
}
FAMILIES['v2.6/pro'] = { text: true, modern: true, durations: FIVE_TEN };
FAMILIES['v3/standard'] = { text: true, modern: true, durations: range(3, 15) };
FAMILIES['v3/pro'] = { text: true, modern: true, durations: range(3, 15) };
FAMILIES.o1 = { text: false, modern: true, durations: range(3, 10) };
FAMILIES['o1/standard'] = { text: false, modern: true, durations: range(3, 10) };

/** Which families take a tail/end frame and audio (fal-js input types). */
const END_FRAME = new Set(['v1/standard', 'v1.6/pro', 'v2.1/pro', 'v2.5-turbo/pro']);
const AUDIO = new Set(['v2.6/pro', 'v3/standard', 'v3/pro']);

/** fal's FastAPI error body. */
export function falErrorBody(detail: string): unknown {
  return { detail };
}

/** fal's body for an injected status (the status faults' default body). */
export function falErrorBodyFor(status: number): unknown {
  return falErrorBody(status === 403 ? 'User is locked' : `injected HTTP ${status}`);
}

/** The queue's "no such request" (404 with its `{detail}` body). */
export function falNotFoundFault(): Fault {
  return { type: 'status', status: 404, body: falErrorBody('Request not found') };
}

export async function startFalFake(
  options: { apiKey?: string; renderMs?: number } = {},
): Promise<CallbackingFakeServer> {
  const apiKey = options.apiKey ?? FAL_FAKE_API_KEY;
  const byId = `^/${APP}/requests/([A-Za-z0-9-]+)`;
  const fake = new CallbackingFakeServer(
    {
      name: 'fal',
      basePath: '',
      errorBody: falErrorBodyFor,
      renderMs: options.renderMs ?? 100,
      ...apiKeyAuth(apiKey, falErrorBody('Invalid Key authorization header format'), { keyOf }),
      routes: [
        fakeRoute('status', 'GET', new RegExp(`${byId}/status$`), status),
        fakeRoute('cancel', 'PUT', new RegExp(`${byId}/cancel$`), cancel),
        fakeRoute('result', 'GET', new RegExp(`${byId}$`), result),
        fakeRoute('submit', 'POST', new RegExp(`^/${APP}/(.+)/(text|image)-to-video$`), submit),
      ],
    },
    {
      urlOf: (_request, meta) => meta.webhook || undefined,
      body: (task, server) => webhookBody(task, server),
    },
  );
  return fake.start();
}

function keyOf(request: IncomingMessage): string | undefined {
  return request.headers.authorization?.match(/^Key (.+)$/)?.[1];
}

function urlsOf(fake: FakeProviderServer, id: string) {
  const base = `${fake.origin}/${APP}/requests/${id}`;
  return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
}

function submit({ params, json, url, response, fake }: RouteContext): void {
  const [family = '', kind] = params;
  const problem = validate(family, kind === 'image', json);
  if (problem) return void fake.sendJson(response, 422, invalid(problem.field, problem.message));
  const id = randomUUID();
  const webhook = url.searchParams.get('fal_webhook') ?? '';
  fake.createTask(json as Record<string, unknown>, { family, kind: kind ?? '', webhook }, id);
  fake.sendJson(response, 200, {
    request_id: id,
    gateway_request_id: id,
    ...urlsOf(fake, id),
    queue_position: 0,
  });
}

function status({ params, url, response, fake }: RouteContext): void {
  const task = fake.tasks.get(params[0] ?? '');
  if (!task) return void fake.sendJson(response, 404, falErrorBody('Request not found'));
  const state = fake.taskState(task);
  const common = { request_id: task.id, ...urlsOf(fake, task.id) };
  const logs = url.searchParams.get('logs') === '1' ? [] : null;
  if (state === 'queued') {
    return void fake.sendJson(response, 202, { ...common, status: 'IN_QUEUE', queue_position: 0 });
  }
  if (state === 'running') {
    return void fake.sendJson(response, 202, { ...common, status: 'IN_PROGRESS', logs });
  }
  fake.sendJson(response, 200, {
    ...common,
    status: 'COMPLETED',
    logs,
    metrics: { inference_time: task.renderMs / 1000 },
  });
}

function result({ params, response, fake }: RouteContext): void {
  const task = fake.tasks.get(params[0] ?? '');
  if (!task) return void fake.sendJson(response, 404, falErrorBody('Request not found'));
  const state = fake.taskState(task);
  if (state === 'queued' || state === 'running') {
    return void fake.sendJson(response, 400, falErrorBody('Request is still in progress'));
  }
  if (state === 'failed') {
    return void fake.sendJson(response, 422, failureBody(task, fake));
  }
  fake.sendJson(response, 200, output(task, fake));
}

function cancel({ params, response, fake }: RouteContext): void {
  const task = fake.tasks.get(params[0] ?? '');
  if (!task) return void fake.sendJson(response, 404, falErrorBody('Request not found'));
  const state = fake.taskState(task);
  if (state === 'succeeded' || state === 'failed') {
    return void fake.sendJson(response, 400, { status: 'ALREADY_COMPLETED' });
  }
  // The request ends now, as failed; what it rendered so far is what fal bills.
  task.outcome = { type: 'fail', message: 'Request was cancelled' };
  task.renderMs = Math.max(0, Date.now() - task.createdAt);
  task.meta.cancelled = 'true';
  fake.sendJson(response, 202, { status: 'CANCELLATION_REQUESTED' });
}

function output(task: FakeTask, fake: FakeProviderServer): unknown {
  return {
    video: {
      url: fake.videoUrl(task),
      content_type: 'video/mp4',
      file_name: 'output.mp4',
      file_size: fake.videoBuffer.length,
    },
  };
}

/** A failed request's model error; `internal_server_error` unless the outcome names its type. */
function failureBody(task: FakeTask, fake: FakeProviderServer): unknown {
  const type = task.outcome.type === 'fail' ? task.outcome.errorType : undefined;
  return invalid('prompt', fake.failureMessage(task), type ?? 'internal_server_error');
}

function invalid(field: string, message: string, type = 'value_error'): unknown {
  return { detail: [{ loc: ['body', field], msg: message, type }] };
}

/** The webhook body (fal-js `WebHookResponse`) for the task as it ended. */
function webhookBody(task: FakeTask, fake: FakeProviderServer): unknown {
  const ok = fake.taskState(task) === 'succeeded';
  return {
    request_id: task.id,
    gateway_request_id: task.id,
    status: ok ? 'OK' : 'ERROR',
    payload: ok ? output(task, fake) : failureBody(task, fake),
    ...(ok ? {} : { error: 'Invalid status code: 422' }),
  };
}

/** fal-js's input types for the Kling endpoints, so a wrong name or type fails as it would there. */
function validate(
  family: string,
  image: boolean,
  json: unknown,
): { field: string; message: string } | undefined {
  const rules = FAMILIES[family];
  if (!rules) return { field: 'endpoint', message: `unknown endpoint ${APP}/${family}` };
  if (!image && !rules.text) return { field: 'endpoint', message: 'no text-to-video here' };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { field: 'body', message: 'must be a JSON object' };
  }
  const body = json as Record<string, unknown>;
  const imageField = rules.modern ? 'start_image_url' : 'image_url';
  const endField = rules.modern ? 'end_image_url' : 'tail_image_url';
  const wrongImage = rules.modern ? 'image_url' : 'start_image_url';
  if (body[wrongImage] !== undefined) return { field: wrongImage, message: 'extra field' };
  if (image && !isImage(body[imageField])) return { field: imageField, message: 'required URL' };
  if (!image && body[imageField] !== undefined) return { field: imageField, message: 'extra' };
  if (body[endField] !== undefined) {
    if (!image || !isImage(body[endField])) return { field: endField, message: 'invalid URL' };
    if (!rules.modern && !END_FRAME.has(family)) return { field: endField, message: 'extra' };
  }
  if (body.duration !== undefined && !rules.durations.includes(body.duration as string)) {
    return { field: 'duration', message: `must be one of ${rules.durations.join(', ')}` };
  }
  return validatePrompt(family, body);
}

function validatePrompt(
  family: string,
  body: Record<string, unknown>,
): { field: string; message: string } | undefined {
  const shots = body.multi_prompt;
  if (shots !== undefined) {
    if (!family.startsWith('v3/')) return { field: 'multi_prompt', message: 'extra field' };
    if (body.prompt !== undefined) return { field: 'prompt', message: 'not with multi_prompt' };
    const valid =
      Array.isArray(shots) &&
      shots.every(
        (shot) =>
          typeof shot?.prompt === 'string' &&
          shot.prompt !== '' &&
          typeof shot.duration === 'string',
      );
    if (!valid) return { field: 'multi_prompt', message: 'must be [{prompt, duration: "N"}]' };
  } else if (typeof body.prompt !== 'string' || body.prompt === '') {
    if (!family.startsWith('o1') && body.image_url === undefined && !body.start_image_url) {
      return { field: 'prompt', message: 'field required' };
    }
  }
  if (body.generate_audio !== undefined) {
    if (!AUDIO.has(family)) return { field: 'generate_audio', message: 'extra field' };
    if (typeof body.generate_audio !== 'boolean') {
      return { field: 'generate_audio', message: 'must be a boolean' };
    }
  }
  if (body.cfg_scale !== undefined && typeof body.cfg_scale !== 'number') {
    return { field: 'cfg_scale', message: 'must be a number' };
  }
  if (
    body.aspect_ratio !== undefined &&
    !['16:9', '9:16', '1:1'].includes(String(body.aspect_ratio))
  ) {
    return { field: 'aspect_ratio', message: 'must be 16:9, 9:16 or 1:1' };
  }
  return undefined;
}

function isImage(value: unknown): boolean {
  return typeof value === 'string' && /^(https?:\/\/|data:image\/)/.test(value);
}
