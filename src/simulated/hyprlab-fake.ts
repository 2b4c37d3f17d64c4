import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { fakeRoute, modelBody } from './fake-http.js';
import { bearerToken, FakeProviderServer, type RouteContext } from './fake-server.js';

/**
 * HyprLab as seeds/000 describes it: `POST /v1/video/generations` (Bearer) answers with the
 * sample `{created, id, data:[{url: <polling URL>}]}`; the polling URL answers with the sample
 * `{created, data:[{url: <mp4>}]}` once the video is done. The in-progress and failed bodies
 * are not in the seed: this fake answers `{created, id, status, message}` and
 * `{created, id, status:"failed", error:{message}}`, the shapes a public HyprLab client reads.
 */

export const HYPRLAB_FAKE_API_KEY = 'hyprlab-fake-key';

const MODELS = new Set([
  'kling-v1.6-standard',
  'kling-v1.6-pro',
  'kling-v2',
  'kling-v2.1-standard',
  'kling-v2.1-pro',
  'kling-v2.1-master',
]);
const WITH_CFG_SCALE = new Set(['kling-v1.6-standard', 'kling-v1.6-pro', 'kling-v2']);
const WITH_END_IMAGE = new Set(['kling-v1.6-standard', 'kling-v1.6-pro']);
const START_IMAGE_REQUIRED = new Set(['kling-v2.1-standard', 'kling-v2.1-pro']);
const WITHOUT_ASPECT_RATIO = new Set(['kling-v2.1-standard', 'kling-v2.1-pro']);
const ASPECT_RATIOS = new Set(['16:9', '1:1', '9:16']);

/** HyprLab's error bodies are not in the seed; an OpenAI-style envelope, as its other APIs use. */
export function hyprLabErrorBody(message: string, type = 'invalid_request_error'): unknown {
  return { error: { message, type } };
}

/** HyprLab's envelope for an injected status (the status faults' default body). */
export function hyprLabErrorBodyFor(status: number): unknown {
  const type =
    status === 401
      ? 'authentication_error'
      : status >= 500
        ? 'server_error'
        : 'invalid_request_error';
  return hyprLabErrorBody(`injected HTTP ${status}`, type);
}

/** HyprLab's "no such task" on a polling URL (404 with its envelope). */
export function hyprLabNotFoundFault() {
  return {
    type: 'status' as const,
    status: 404,
    body: hyprLabErrorBody('Video result not found', 'not_found'),
  };
}

export async function startHyprLabFake(
  options: { apiKey?: string; renderMs?: number } = {},
): Promise<FakeProviderServer> {
  const apiKey = options.apiKey ?? HYPRLAB_FAKE_API_KEY;
  const fake = new FakeProviderServer({
    name: 'hyprlab',
    basePath: '/v1',
    errorBody: hyprLabErrorBodyFor,
    renderMs: options.renderMs ?? 100,
    authenticate: (request) => bearerToken(request) === apiKey,
    rejectAuth: (response) =>
      sendJson(response, 401, hyprLabErrorBody('Invalid API key provided', 'authentication_error')),
    routes: [
      fakeRoute('submit', 'POST', /^\/v1\/video\/generations$/, submit),
      fakeRoute('status', 'GET', /^\/v1\/video\/result\/(\d+)-([A-Za-z0-9]+)$/, poll),
    ],
  });
  return fake.start();
}

function submit({ json, response, fake }: RouteContext): void {
  const problem = validate(json);
  if (problem) return void fake.sendJson(response, 400, hyprLabErrorBody(problem));
  const created = Math.floor(Date.now() / 1000);
  const id = randomBytes(6).toString('hex');
  fake.createTask(json as Record<string, unknown>, { created: String(created) }, id);
  fake.sendJson(response, 200, {
    created,
    id,
    data: [{ url: `${fake.baseUrl}/video/result/${created}-${id}` }],
  });
}

function poll({ params, response, fake }: RouteContext): void {
  const [created, id] = params as [string, string];
  const task = fake.tasks.get(id);
  if (!task || task.meta.created !== created) {
    return void fake.sendJson(
      response,
      404,
      hyprLabErrorBody('Video result not found', 'not_found'),
    );
  }
  const state = fake.taskState(task);
  const createdNumber = Number(created);
  if (state === 'succeeded') {
    return void fake.sendJson(response, 200, {
      created: createdNumber,
      data: [{ url: fake.videoUrl(task) }],
    });
  }
  if (state === 'failed') {
    return void fake.sendJson(response, 200, {
      created: createdNumber,
      id,
      status: 'failed',
      error: { message: fake.failureMessage(task) },
    });
  }
  fake.sendJson(response, 200, {
    created: createdNumber,
    id,
    status: state === 'queued' ? 'pending' : 'processing',
    message: state === 'queued' ? 'Video is queued' : 'Video is still processing',
  });
}

/** The seed's field rules, so a wrong name or type on the wire fails the way HyprLab would. */
function validate(json: unknown): string | undefined {
  const read = modelBody(json, MODELS);
  if (typeof read === 'string') return read;
  const { body, model } = read;
  if (typeof body.prompt !== 'string' || body.prompt.trim() === '') {
    return 'prompt must be a non-empty string';
  }
  if (body.duration !== undefined && body.duration !== 5 && body.duration !== 10) {
    return 'duration must be an integer, either 5 or 10';
  }
  if (body.cfg_scale !== undefined) {
    if (!WITH_CFG_SCALE.has(model)) return `cfg_scale is not supported by ${model}`;
    if (typeof body.cfg_scale !== 'number' || body.cfg_scale < 0 || body.cfg_scale > 1) {
      return 'cfg_scale must be a number between 0 and 1';
    }
  }
  if (body.aspect_ratio !== undefined) {
    if (WITHOUT_ASPECT_RATIO.has(model)) return `aspect_ratio is not supported by ${model}`;
    if (typeof body.aspect_ratio !== 'string' || !ASPECT_RATIOS.has(body.aspect_ratio)) {
      return 'aspect_ratio must be one of: "16:9", "1:1", "9:16"';
    }
  }
  if (START_IMAGE_REQUIRED.has(model) && body.start_image === undefined) {
    return `start_image is required for ${model}`;
  }
  if (body.start_image !== undefined && !isImageString(body.start_image)) {
    return 'start_image must be a string (URL, Data URI, or base64 string)';
  }
  if (body.end_image !== undefined) {
    if (!WITH_END_IMAGE.has(model)) return `end_image is not supported by ${model}`;
    if (!isImageString(body.end_image)) {
      return 'end_image must be a string (URL, Data URI, or base64 string)';
    }
  }
  if (body.negative_prompt !== undefined && typeof body.negative_prompt !== 'string') {
    return 'negative_prompt must be a string';
  }
  return undefined;
}

function isImageString(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    (/^https?:\/\//.test(value) ||
      /^data:image\/[a-z+]+;base64,/.test(value) ||
      /^[A-Za-z0-9+/]+=*$/.test(value))
  );
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
