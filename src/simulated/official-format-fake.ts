import { randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CallbackingFakeServer } from './fake-callbacks.js';
import {
  type FakeProviderServer,
  type FakeTask,
  newTaskId,
  type RouteContext,
} from './fake-server.js';

/**
 * The official Kling wire format as a fake, shared by the official API's fake (`kling-fake.ts`)
 * and OpenAI-HK's (`openai-hk-fake.ts`): create at `POST {base}/v1/videos/<endpoint>`, query at
 * `GET {base}/v1/videos/<endpoint>/{id}`, `{code, message, request_id, data}` envelopes, the
 * official business codes, and strict field checks so a wrong name or type on the wire fails
 * here the way the provider would refuse it. A submit with `callback_url` (official) or
 * `notify_hook` (OpenAI-HK) is called back with the bare task object, the query's `data`
 * (see fake-callbacks.ts for the test controls).
 */

export const OFFICIAL_FAKE_ENDPOINTS = ['text2video', 'image2video', 'omni-video'] as const;
export type OfficialFakeEndpoint = (typeof OFFICIAL_FAKE_ENDPOINTS)[number];

export interface OfficialFakeError {
  status: number;
  code: number;
  message: string;
}

/** An official error envelope, e.g. for `injectFault({fault: {type: 'status', body}})`. */
export function officialErrorBody(code: number, message: string): unknown {
  return { code, message, request_id: randomUUID() };
}

/** The official error table (reference/providers.md §1), by code: HTTP status and message. */
export const OFFICIAL_ERRORS: Record<number, { status: number; message: string }> = {
  1000: { status: 401, message: 'Authentication failed' },
  1001: { status: 401, message: 'Authorization is empty' },
  1002: { status: 401, message: 'Authorization is invalid' },
  1003: { status: 401, message: 'Authorization is not yet valid' },
  1004: { status: 401, message: 'Authorization has expired' },
  1100: { status: 429, message: 'Account exception' },
  1101: { status: 429, message: 'Account in arrears (postpaid)' },
  1102: { status: 429, message: 'Resource pack depleted or expired (prepaid)' },
  1103: { status: 403, message: 'Unauthorized access to requested resource' },
  1200: { status: 400, message: 'Invalid request parameters' },
  1201: { status: 400, message: 'Invalid parameters' },
  1202: { status: 404, message: 'Invalid request method' },
  1203: { status: 404, message: 'Requested resource does not exist' },
  1300: { status: 400, message: 'Trigger platform strategy' },
  1301: { status: 400, message: 'Trigger content security policy' },
  1302: { status: 429, message: 'API request too fast, rate limit exceeded' },
  1303: { status: 429, message: 'Concurrency or QPS exceeds prepaid resource package limit' },
  1304: { status: 429, message: 'Trigger IP whitelist policy' },
  5000: { status: 500, message: 'Server internal error' },
  5001: { status: 503, message: 'Server temporarily unavailable' },
  5002: { status: 504, message: 'Server internal timeout' },
};

/** The status and body an official-format provider answers a business error with. */
export function officialError(code: number, detail?: string): OfficialFakeError {
  const known = OFFICIAL_ERRORS[code] ?? { status: 400, message: 'Error' };
  return {
    status: known.status,
    code,
    message: detail ? `${known.message}: ${detail}` : known.message,
  };
}

/** The official code a bare status stands for, so an injected status carries the envelope. */
const CODE_FOR_STATUS: Record<number, number> = {
  400: 1200,
  401: 1000,
  403: 1103,
  404: 1202,
  429: 1302,
  500: 5000,
  503: 5001,
  504: 5002,
};

/** The official envelope for an injected HTTP status (the status faults' default body). */
export function officialErrorBodyFor(status: number): unknown {
  const code = CODE_FOR_STATUS[status] ?? (status >= 500 ? 5000 : 1200);
  return officialErrorBody(code, officialError(code).message);
}

/** The documented "no such task" answer (404 / code 1203), e.g. on a status or lookup. */
export function officialNotFoundFault() {
  return officialFault(1203);
}

/** `injectFault` rule body for a business-code fault, e.g. 429 + `{code: 1102}`. */
export function officialFault(code: number, headers?: Record<string, string>) {
  const error = officialError(code);
  return {
    type: 'status' as const,
    status: error.status,
    body: officialErrorBody(error.code, error.message),
    ...(headers ? { headers } : {}),
  };
}

export interface OfficialFakeEndpointRules {
  models: readonly string[];
  /** Model used when `model_name` is left out (kling-v1 on the official API), if any. */
  defaultModel?: string;
  /** Every field name the endpoint takes; anything else is refused with code 1201. */
  fields: readonly string[];
  /** OpenAI-HK's omni sample sends `"duration": 5`, a number; elsewhere it must be a string. */
  acceptsNumericDuration?: boolean;
}

export interface OfficialFakeOptions {
  name: string;
  /** `''` for the official API, `/kling` for OpenAI-HK. */
  basePath: string;
  renderMs?: number;
  /** Checks the credentials; an error to answer with when they are wrong. */
  authorize(request: IncomingMessage): Promise<OfficialFakeError | undefined>;
  endpoints: Record<OfficialFakeEndpoint, OfficialFakeEndpointRules>;
  promptLimit: number;
  negativePromptLimit: number;
  /** Per-model rules; each returns why a field is refused, or undefined. */
  rules: {
    cfgScale(model: string): string | undefined;
    sound(model: string, mode: string): string | undefined;
    cameraControl(model: string, mode: string, duration: string): string | undefined;
    mode(model: string): string | undefined;
    durations(model: string): readonly string[];
  };
  /** True where `external_task_id` is documented (official API): unique per account, queryable. */
  externalTaskIds: boolean;
  /** How the provider words its responses (the seeds' samples differ between the two). */
  responses: OfficialFakeResponses;
}

export interface OfficialFakeResponses {
  newTaskId(endpoint: OfficialFakeEndpoint): string;
  created(task: FakeTask, endpoint: OfficialFakeEndpoint): unknown;
  queried(task: FakeTask, endpoint: OfficialFakeEndpoint, fake: FakeProviderServer): unknown;
}

const CAMERA_TYPES = new Set([
  'simple',
  'down_back',
  'forward_up',
  'right_turn_forward',
  'left_turn_forward',
]);
const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'];
const ASPECT_RATIOS = new Set(['16:9', '9:16', '1:1']);

export async function startOfficialFormatFake(
  options: OfficialFakeOptions,
): Promise<CallbackingFakeServer> {
  const base = options.basePath.replace(/\//g, '\\/');
  const endpoints = OFFICIAL_FAKE_ENDPOINTS.join('|');
  const fake = new CallbackingFakeServer(
    {
      name: options.name,
      basePath: options.basePath,
      errorBody: officialErrorBodyFor,
      renderMs: options.renderMs ?? 100,
      // Auth is checked in the handlers: verifying a JWT is asynchronous.
      authenticate: () => true,
      rejectAuth: () => {},
      routes: [
        {
          name: 'submit',
          method: 'POST',
          pattern: new RegExp(`^${base}\\/v1\\/videos\\/(${endpoints})$`),
          authenticated: false,
          handle: (context) => create(options, context),
        },
        {
          name: 'status',
          method: 'GET',
          pattern: new RegExp(`^${base}\\/v1\\/videos\\/(${endpoints})\\/([^/]+)$`),
          authenticated: false,
          handle: (context) => query(options, context),
        },
      ],
    },
    {
      // Each dialect's submit fields only allow its own name, so at most one of these is set.
      urlOf: (request) => {
        const url = request.callback_url ?? request.notify_hook;
        return typeof url === 'string' ? url : undefined;
      },
      body: (task, server) =>
        (
          options.responses.queried(task, task.meta.endpoint as OfficialFakeEndpoint, server) as {
            data: unknown;
          }
        ).data,
    },
  );
  return fake.start();
}

function sendError(context: RouteContext, error: OfficialFakeError): void {
  context.fake.sendJson(
    context.response,
    error.status,
    officialErrorBody(error.code, error.message),
  );
}

async function create(options: OfficialFakeOptions, context: RouteContext): Promise<void> {
  const authError = await options.authorize(context.request);
  if (authError) return sendError(context, authError);
  const endpoint = context.params[0] as OfficialFakeEndpoint;
  if (!context.request.headers['content-type']?.includes('application/json')) {
    return sendError(context, officialError(1200, 'content-type must be application/json'));
  }
  const problem = validate(options, endpoint, context.json);
  if (problem) return sendError(context, officialError(1201, problem));
  const body = context.json as Record<string, unknown>;

  const meta: Record<string, string> = { endpoint };
  if (options.externalTaskIds && typeof body.external_task_id === 'string') {
    const duplicate = [...context.fake.tasks.values()].some(
      (task) => task.meta.externalTaskId === body.external_task_id,
    );
    if (duplicate) {
      return sendError(context, officialError(1201, 'external_task_id already exists'));
    }
    meta.externalTaskId = body.external_task_id;
  }
  const task = context.fake.createTask(body, meta, options.responses.newTaskId(endpoint));
  context.fake.sendJson(context.response, 200, options.responses.created(task, endpoint));
}

async function query(options: OfficialFakeOptions, context: RouteContext): Promise<void> {
  const authError = await options.authorize(context.request);
  if (authError) return sendError(context, authError);
  const [endpoint, id] = context.params as [OfficialFakeEndpoint, string];
  const onEndpoint = (task: FakeTask | undefined) =>
    task !== undefined && task.meta.endpoint === endpoint ? task : undefined;
  const byId = onEndpoint(context.fake.tasks.get(id));
  // The official query path takes either the task id or the external_task_id.
  const byExternalId = options.externalTaskIds
    ? [...context.fake.tasks.values()].find(
        (task) => task.meta.endpoint === endpoint && task.meta.externalTaskId === id,
      )
    : undefined;
  const task = byId ?? byExternalId;
  if (!task) return sendError(context, officialError(1203, `task ${id} not found`));
  context.fake.sendJson(
    context.response,
    200,
    options.responses.queried(task, endpoint, context.fake),
  );
}

/** `task_status` for the fake's render state. */
export function officialTaskStatus(fake: FakeProviderServer, task: FakeTask): string {
  const state = fake.taskState(task);
  if (state === 'queued') return 'submitted';
  if (state === 'running') return 'processing';
  return state === 'succeeded' ? 'succeed' : 'failed';
}

/** The 18-digit numeric ids the official API and OpenAI-HK's omni sample use. */
export function numericTaskId(): string {
  return `${Date.now()}${String(randomInt(0, 100_000)).padStart(5, '0')}`;
}

/** OpenAI-HK's text/image sample ids are 22 base64url characters. */
export function base64TaskId(): string {
  return `${newTaskId()}${newTaskId()}`.slice(0, 22);
}

function validate(
  options: OfficialFakeOptions,
  endpoint: OfficialFakeEndpoint,
  json: unknown,
): string | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return 'request body must be a JSON object';
  }
  const rules = options.endpoints[endpoint];
  const body = json as Record<string, unknown>;
  const unknownField = Object.keys(body).find((field) => !rules.fields.includes(field));
  if (unknownField) return `unknown field ${unknownField} on ${endpoint}`;

  const model = body.model_name ?? rules.defaultModel;
  if (typeof model !== 'string' || !rules.models.includes(model)) {
    return `model_name must be one of: ${rules.models.join(', ')} on ${endpoint}`;
  }
  if (body.mode !== undefined) {
    if (body.mode !== 'std' && body.mode !== 'pro') return 'mode must be "std" or "pro"';
    const modeProblem = options.rules.mode(model);
    if (modeProblem) return modeProblem;
  }
  const mode = typeof body.mode === 'string' ? body.mode : 'std';

  const promptRequired = endpoint !== 'image2video';
  if (body.prompt !== undefined || promptRequired) {
    if (typeof body.prompt !== 'string' || (promptRequired && body.prompt.trim() === '')) {
      return 'prompt must be a non-empty string';
    }
    if (body.prompt.length > options.promptLimit) {
      return `prompt must be at most ${options.promptLimit} characters`;
    }
  }
  if (body.negative_prompt !== undefined) {
    if (typeof body.negative_prompt !== 'string') return 'negative_prompt must be a string';
    if (body.negative_prompt.length > options.negativePromptLimit) {
      return `negative_prompt must be at most ${options.negativePromptLimit} characters`;
    }
  }

  let duration = '5';
  if (body.duration !== undefined) {
    const numericAllowed = rules.acceptsNumericDuration && typeof body.duration === 'number';
    if (typeof body.duration !== 'string' && !numericAllowed) {
      return `duration must be a string such as "5", not ${typeof body.duration}`;
    }
    duration = String(body.duration);
    const allowed = options.rules.durations(model);
    if (!allowed.includes(duration)) {
      return `duration must be one of: ${allowed.join(', ')} for ${model}`;
    }
  }
  if (body.aspect_ratio !== undefined) {
    if (typeof body.aspect_ratio !== 'string' || !ASPECT_RATIOS.has(body.aspect_ratio)) {
      return 'aspect_ratio must be one of: 16:9, 9:16, 1:1';
    }
  }
  if (body.cfg_scale !== undefined) {
    const cfgProblem = options.rules.cfgScale(model);
    if (cfgProblem) return cfgProblem;
    if (typeof body.cfg_scale !== 'number' || body.cfg_scale < 0 || body.cfg_scale > 1) {
      return 'cfg_scale must be a number in [0, 1]';
    }
  }
  if (body.camera_control !== undefined) {
    const problem = cameraControlProblem(body.camera_control);
    if (problem) return problem;
    const ruleProblem = options.rules.cameraControl(model, mode, duration);
    if (ruleProblem) return ruleProblem;
  }
  if (body.sound !== undefined) {
    if (body.sound !== 'on' && body.sound !== 'off') return 'sound must be "on" or "off"';
    if (body.sound === 'on') {
      const soundProblem = options.rules.sound(model, mode);
      if (soundProblem) return soundProblem;
    }
  }
  if (endpoint === 'image2video') {
    if (body.image === undefined) return 'image is required on image2video';
    for (const field of ['image', 'image_tail'] as const) {
      if (body[field] === undefined) continue;
      const problem = imageProblem(field, body[field]);
      if (problem) return problem;
    }
    if (body.image_tail !== undefined && body.camera_control !== undefined) {
      return 'image_tail and camera_control cannot be used together';
    }
  }
  if (endpoint === 'omni-video' && body.image_list !== undefined) {
    if (!Array.isArray(body.image_list)) return 'image_list must be an array';
    for (const item of body.image_list as unknown[]) {
      const entry = item as Record<string, unknown> | null;
      if (!entry || typeof entry !== 'object') return 'image_list items must be objects';
      const problem = imageProblem('image_list.image_url', entry.image_url);
      if (problem) return problem;
      if (entry.type !== undefined && entry.type !== 'first_frame' && entry.type !== 'end_frame') {
        return 'image_list.type must be "first_frame" or "end_frame"';
      }
    }
  }
  for (const field of ['callback_url', 'notify_hook', 'external_task_id']) {
    if (body[field] !== undefined && typeof body[field] !== 'string') {
      return `${field} must be a string`;
    }
  }
  return undefined;
}

/** URL or raw base64: the official docs refuse a `data:` prefix. */
function imageProblem(field: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return `${field} must be a non-empty string`;
  if (value.startsWith('data:')) return `${field} must be raw base64 without a data: prefix`;
  if (/^https?:\/\//.test(value)) return undefined;
  if (!/^[A-Za-z0-9+/]+=*$/.test(value)) return `${field} must be an image URL or base64`;
  return undefined;
}

function cameraControlProblem(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return 'camera_control must be an object';
  const control = value as { type?: unknown; config?: Record<string, unknown> };
  if (typeof control.type !== 'string' || !CAMERA_TYPES.has(control.type)) {
    return `camera_control.type must be one of: ${[...CAMERA_TYPES].join(', ')}`;
  }
  if (control.type === 'simple') {
    const set = CAMERA_AXES.filter((axis) => (control.config?.[axis] ?? 0) !== 0);
    if (set.length !== 1) return 'camera_control.config must set exactly one non-zero axis';
  }
  return undefined;
}
