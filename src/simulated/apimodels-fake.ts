import { randomBytes } from 'node:crypto';
import { CallbackingFakeServer } from './fake-callbacks.js';
import { apiKeyAuth, fakeRoute, modelBody } from './fake-http.js';
import type { FakeProviderServer, FakeTask, RouteContext } from './fake-server.js';

/**
 * apimodels.app as seeds/003 describes it: `POST /api/v1/video/generations` (Bearer) and
 * `GET /api/v1/video/generations?task_id=`, every body in the `{code, msg, data}` envelope of
 * the seed's samples (create, success, failed). Error bodies are not in the seed; this fake
 * answers `{code: <status>, msg, data: null}`, the same envelope. A submit with `callback_url`
 * is called back with the task as the query's `data` (the seed does not show the callback body;
 * see fake-callbacks.ts for the test controls).
 */

export const APIMODELS_FAKE_API_KEY = 'apimodels-fake-key';

const MODELS = new Set(['kling-v2-6', 'kling-v3', 'kling-motion-control']);
const V26_DURATIONS = new Set(['5', '10']);
const V3_DURATIONS = new Set(Array.from({ length: 13 }, (_, index) => String(index + 3)));

export function apiModelsErrorBody(code: number, msg: string): unknown {
  return { code, msg, data: null };
}

/** apimodels' envelope for an injected status (the status faults' default body). */
export function apiModelsErrorBodyFor(status: number): unknown {
  return apiModelsErrorBody(status, `injected HTTP ${status}`);
}

/** The seed's documented "404 Not Found - Task ID not found", in its envelope. */
export function apiModelsNotFoundFault() {
  return { type: 'status' as const, status: 404, body: apiModelsErrorBody(404, 'Task not found') };
}

export async function startApiModelsFake(
  options: { apiKey?: string; renderMs?: number } = {},
): Promise<CallbackingFakeServer> {
  const apiKey = options.apiKey ?? APIMODELS_FAKE_API_KEY;
  const fake = new CallbackingFakeServer(
    {
      name: 'apimodels',
      basePath: '',
      errorBody: apiModelsErrorBodyFor,
      renderMs: options.renderMs ?? 100,
      ...apiKeyAuth(apiKey, apiModelsErrorBody(401, 'Unauthorized - Invalid API key')),
      routes: [
        fakeRoute('submit', 'POST', /^\/api\/v1\/video\/generations$/, submit),
        fakeRoute('status', 'GET', /^\/api\/v1\/video\/generations$/, poll),
      ],
    },
    {
      urlOf: (request) =>
        typeof request.callback_url === 'string' ? request.callback_url : undefined,
      body: (task, server) => taskData(task, server),
    },
  );
  return fake.start();
}

function submit({ json, response, fake }: RouteContext): void {
  const problem = validate(json);
  if (problem) return void fake.sendJson(response, 400, apiModelsErrorBody(400, problem));
  const body = json as Record<string, unknown>;
  const taskId = `cl${randomBytes(10).toString('hex')}`;
  fake.createTask(body, { model: String(body.model) }, taskId);
  fake.sendJson(response, 200, {
    code: 200,
    msg: 'success',
    data: { taskId, state: 'pending', model: `kling-video/${body.model}` },
  });
}

function poll({ url, response, fake }: RouteContext): void {
  const taskId = url.searchParams.get('task_id');
  if (!taskId)
    return void fake.sendJson(response, 400, apiModelsErrorBody(400, 'task_id is required'));
  const task = fake.tasks.get(taskId);
  if (!task) return void fake.sendJson(response, 404, apiModelsErrorBody(404, 'Task not found'));
  fake.sendJson(response, 200, { code: 200, msg: 'success', data: taskData(task, fake) });
}

/** The query response's `data` (also the callback body) for the task's current state. */
function taskData(task: FakeTask, fake: FakeProviderServer): Record<string, unknown> {
  const taskId = task.id;
  const model = `kling-video/${task.meta.model}`;
  const state = fake.taskState(task);
  if (state === 'succeeded') {
    return {
      taskId,
      state: 'completed',
      model,
      resultUrls: [fake.videoUrl(task)],
      createTime: task.createdAt,
      completeTime: task.createdAt + task.renderMs,
    };
  }
  if (state === 'failed') {
    return { taskId, state: 'failed', model, failMsg: fake.failureMessage(task) };
  }
  return { taskId, state: state === 'queued' ? 'pending' : 'processing', model };
}

/** The seed's parameter table, so a wrong name or type on the wire fails as it would there. */
function validate(json: unknown): string | undefined {
  const read = modelBody(json, MODELS);
  if (typeof read === 'string') return read;
  const { body, model } = read;
  if (body.image === undefined && (typeof body.prompt !== 'string' || body.prompt === '')) {
    return 'prompt is required for text-to-video';
  }
  if (typeof body.prompt === 'string' && body.prompt.length > 2500) {
    return 'prompt must be at most 2500 characters';
  }
  if (body.negative_prompt !== undefined) {
    if (typeof body.negative_prompt !== 'string' || body.negative_prompt.length > 2500) {
      return 'negative_prompt must be a string of at most 2500 characters';
    }
  }
  if (body.mode !== undefined && body.mode !== 'std' && body.mode !== 'pro') {
    return 'mode must be "std" or "pro"';
  }
  if (body.duration !== undefined) {
    if (typeof body.duration !== 'string') return 'duration must be a string, e.g. "5"';
    const allowed = model === 'kling-v3' ? V3_DURATIONS : V26_DURATIONS;
    if (model !== 'kling-motion-control' && !allowed.has(body.duration)) {
      return `duration must be one of: ${[...allowed].join(', ')}`;
    }
  }
  if (body.sound !== undefined && body.sound !== 'on' && body.sound !== 'off') {
    return 'sound must be "on" or "off"';
  }
  if (body.image !== undefined && !isImageString(body.image)) {
    return 'image must be a URL or base64 string';
  }
  if (body.image_tail !== undefined) {
    if (body.image === undefined) return 'image_tail is only supported for image-to-video';
    if (!isImageString(body.image_tail)) return 'image_tail must be a URL or base64 string';
  }
  if (body.cfg_scale !== undefined && typeof body.cfg_scale !== 'number') {
    return 'cfg_scale must be a number';
  }
  if (body.voice_list !== undefined) {
    if (!Array.isArray(body.voice_list) || body.voice_list.length > 2) {
      return 'voice_list must be an array of at most 2 voice ids';
    }
    if (body.sound !== 'on') return 'voice_list requires sound: "on"';
  }
  if (body.camera_control !== undefined && typeof body.camera_control !== 'object') {
    return 'camera_control must be an object';
  }
  if (body.callback_url !== undefined && typeof body.callback_url !== 'string') {
    return 'callback_url must be a string';
  }
  return validateSeedFeatures(model, body);
}

/** Motion control needs image and motion_video; multi_shot needs kling-v3 and its shots. */
function validateSeedFeatures(model: string, body: Record<string, unknown>): string | undefined {
  if (model === 'kling-motion-control') {
    if (body.image === undefined)
      return 'kling-motion-control requires image (character reference)';
    if (typeof body.motion_video !== 'string' || !/^https?:\/\//.test(body.motion_video)) {
      return 'kling-motion-control requires motion_video (a video URL)';
    }
  } else if (body.motion_video !== undefined) {
    return 'motion_video is for kling-motion-control only';
  }
  if (body.multi_shot !== undefined) {
    if (typeof body.multi_shot !== 'boolean') return 'multi_shot must be a boolean';
    if (model !== 'kling-v3') return 'multi_shot is for kling-v3 only';
    const shots = body.multi_prompt;
    const valid =
      Array.isArray(shots) &&
      shots.every(
        (shot) =>
          typeof shot?.prompt === 'string' &&
          typeof shot.duration === 'string' &&
          typeof shot.index === 'number',
      );
    if (body.multi_shot && !valid) return 'multi_prompt must be [{index, prompt, duration}]';
  }
  return undefined;
}

function isImageString(value: unknown): boolean {
  return (
    typeof value === 'string' && (/^https?:\/\//.test(value) || /^[A-Za-z0-9+/]+=*$/.test(value))
  );
}
