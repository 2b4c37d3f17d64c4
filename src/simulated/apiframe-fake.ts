import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fakeRoute } from './fake-http.js';
import { FakeProviderServer, type FakeTask, type RouteContext } from './fake-server.js';

/**
 * APIFrame: the request is seeds/004 (`POST /v2/videos/generate`, `X-API-Key`, `klingParams`);
 * everything the seed leaves out follows APIFrame's public docs and SDK (none of it verified
 * against the live API): `202 {jobId, status}`, `GET /v2/jobs/:id` with the Job shape and a
 * `{videoUrl}` result, `{error}` bodies, 402 `{error, creditsRequired, creditsAvailable}`, and
 * `Idempotency-Key` replays. Stricter than the real API in one place: `klingParams.mode` must
 * be sent, because the wire default ("pro") would silently bill a std request as pro.
 */

export const APIFRAME_FAKE_API_KEY = 'apiframe-fake-key';

const TOP_LEVEL_FIELDS = new Set(['prompt', 'model', 'klingParams', 'webhookUrl', 'webhookEvents']);
const KLING_FIELDS = new Set([
  'duration',
  'aspect_ratio',
  'mode',
  'start_image',
  'end_image',
  'negative_prompt',
  'cfg_scale',
]);

export function apiFrameErrorBody(error: string): unknown {
  return { error };
}

/** The 402 body of APIFrame's OpenAPI `InsufficientCredits` schema. */
export function apiFrameCreditsBody(creditsRequired = 5, creditsAvailable = 0): unknown {
  return { error: 'Insufficient credits', creditsRequired, creditsAvailable };
}

/** APIFrame's envelope for an injected status (the status faults' default body). */
export function apiFrameErrorBodyFor(status: number): unknown {
  return apiFrameErrorBody(`injected HTTP ${status}`);
}

/** APIFrame's "no such job" (404 `{error}`). */
export function apiFrameNotFoundFault() {
  return { type: 'status' as const, status: 404, body: apiFrameErrorBody('Job not found') };
}

export async function startApiFrameFake(
  options: { apiKey?: string; renderMs?: number } = {},
): Promise<FakeProviderServer> {
  const apiKey = options.apiKey ?? APIFRAME_FAKE_API_KEY;
  const idempotent = new Map<string, { jobId: string; body: string }>();
  const fake = new FakeProviderServer({
    name: 'apiframe',
    basePath: '',
    errorBody: apiFrameErrorBodyFor,
    renderMs: options.renderMs ?? 100,
    authenticate: (request) => request.headers['x-api-key'] === apiKey,
    rejectAuth: (response) => sendJson(response, 401, apiFrameErrorBody('Invalid API key')),
    routes: [
      fakeRoute('submit', 'POST', /^\/v2\/videos\/generate$/, (context) =>
        submit(context, idempotent),
      ),
      fakeRoute('status', 'GET', /^\/v2\/jobs\/([^/]+)$/, poll),
    ],
  });
  return fake.start();
}

function submit(
  { request, json, body, response, fake }: RouteContext,
  idempotent: Map<string, { jobId: string; body: string }>,
): void {
  const key = idempotencyKey(request);
  const earlier = key ? idempotent.get(key) : undefined;
  if (earlier) {
    if (earlier.body !== body) {
      return void fake.sendJson(
        response,
        409,
        apiFrameErrorBody('Idempotency-Key was already used with a different request body'),
      );
    }
    const task = fake.tasks.get(earlier.jobId)!;
    return void fake.sendJson(response, 202, { jobId: task.id, status: jobStatus(fake, task) });
  }
  const problem = validate(json);
  if (problem) return void fake.sendJson(response, 400, apiFrameErrorBody(problem));
  const task = fake.createTask(json as Record<string, unknown>, {}, randomUUID());
  if (key) idempotent.set(key, { jobId: task.id, body });
  fake.sendJson(response, 202, { jobId: task.id, status: 'QUEUED' });
}

function poll({ params, response, fake }: RouteContext): void {
  const task = fake.tasks.get(params[0] ?? '');
  if (!task) return void fake.sendJson(response, 404, apiFrameErrorBody('Job not found'));
  const status = jobStatus(fake, task);
  const klingParams = (task.request.klingParams ?? {}) as Record<string, unknown>;
  const credits =
    klingParams.mode === 'standard'
      ? klingParams.duration === 10
        ? 5
        : 3
      : klingParams.duration === 10
        ? 10
        : 5;
  const done = status === 'COMPLETED' || status === 'FAILED';
  fake.sendJson(response, 200, {
    id: task.id,
    status,
    model: 'kling-2.1',
    progress:
      status === 'QUEUED' ? 0 : status === 'PROCESSING' ? 50 : status === 'COMPLETED' ? 100 : 0,
    result: status === 'COMPLETED' ? { videoUrl: fake.videoUrl(task) } : null,
    error: status === 'FAILED' ? fake.failureMessage(task) : null,
    creditCost: status === 'FAILED' ? 0 : credits,
    webhookStatus: null,
    createdAt: new Date(task.createdAt).toISOString(),
    completedAt: done ? new Date(task.createdAt + task.renderMs).toISOString() : null,
  });
}

function jobStatus(fake: FakeProviderServer, task: FakeTask): string {
  const state = fake.taskState(task);
  return state === 'queued'
    ? 'QUEUED'
    : state === 'running'
      ? 'PROCESSING'
      : state === 'succeeded'
        ? 'COMPLETED'
        : 'FAILED';
}

/** The seed's parameter table (types, modes, pro-only end frame, URL-only images). */
function validate(json: unknown): string | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return 'Request body must be a JSON object';
  }
  const body = json as Record<string, unknown>;
  const unknown = Object.keys(body).filter((key) => !TOP_LEVEL_FIELDS.has(key));
  if (unknown.length > 0) return `Unrecognized key(s) in object: ${unknown.join(', ')}`;
  if (body.model !== 'kling-2.1') return 'model: Invalid enum value, expected "kling-2.1"';
  if (typeof body.prompt !== 'string' || body.prompt.length < 1 || body.prompt.length > 4000) {
    return 'prompt: must be a string of 1 to 4000 characters';
  }
  if (body.webhookUrl !== undefined && !isHttpUrl(body.webhookUrl)) {
    return 'webhookUrl: Invalid url';
  }
  const params = body.klingParams;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    return 'klingParams: Required';
  }
  const kling = params as Record<string, unknown>;
  const unknownParams = Object.keys(kling).filter((key) => !KLING_FIELDS.has(key));
  if (unknownParams.length > 0) {
    return `klingParams: Unrecognized key(s) in object: ${unknownParams.join(', ')}`;
  }
  if (kling.mode !== 'standard' && kling.mode !== 'pro') {
    return 'klingParams.mode: expected "standard" or "pro"';
  }
  if (kling.duration !== undefined && kling.duration !== 5 && kling.duration !== 10) {
    return 'klingParams.duration: expected the number 5 or 10';
  }
  if (
    kling.aspect_ratio !== undefined &&
    (typeof kling.aspect_ratio !== 'string' || !/^\d+:\d+$/.test(kling.aspect_ratio))
  ) {
    return 'klingParams.aspect_ratio: expected "W:H"';
  }
  if (kling.start_image !== undefined && !isHttpUrl(kling.start_image)) {
    return 'klingParams.start_image: Invalid url';
  }
  if (kling.end_image !== undefined) {
    if (!isHttpUrl(kling.end_image)) return 'klingParams.end_image: Invalid url';
    if (kling.mode !== 'pro') return 'klingParams.end_image: requires mode "pro"';
  }
  if (
    kling.negative_prompt !== undefined &&
    (typeof kling.negative_prompt !== 'string' || kling.negative_prompt.length > 2500)
  ) {
    return 'klingParams.negative_prompt: must be a string of at most 2500 characters';
  }
  if (
    kling.cfg_scale !== undefined &&
    (typeof kling.cfg_scale !== 'number' || kling.cfg_scale < 0 || kling.cfg_scale > 1)
  ) {
    return 'klingParams.cfg_scale: expected a number between 0 and 1';
  }
  return undefined;
}

function idempotencyKey(request: IncomingMessage): string | undefined {
  const value = request.headers['idempotency-key'];
  return typeof value === 'string' && value ? value : undefined;
}

function isHttpUrl(value: unknown): boolean {
  return typeof value === 'string' && /^https?:\/\/\S+$/.test(value);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
