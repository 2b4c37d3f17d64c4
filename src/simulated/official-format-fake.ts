import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CallbackingFakeServer } from './fake-callbacks.js';
import { fakeRoute } from './fake-http.js';
import {
  type FakeProviderServer,
  type FakeTask,
  newTaskId,
  type RouteContext,
} from './fake-server.js';
import {
  type OfficialFakeError,
  officialError,
  officialErrorBody,
  officialErrorBodyFor,
} from './official-errors.js';
import { validateOfficialBody } from './official-format-validation.js';

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

/** What a camera-control rule looks at: the task's endpoint, model, mode, length and camera type. */
export interface CameraRequest {
  endpoint: OfficialFakeEndpoint;
  model: string;
  mode: string;
  duration: string;
  type: unknown;
}

/**
 * The official capability map's image-to-video camera control, which both official-format
 * providers serve: kling-v1-5, the `simple` type, 5 s, pro.
 */
export function isMapImageCamera({
  endpoint,
  model,
  mode,
  duration,
  type,
}: CameraRequest): boolean {
  return (
    endpoint === 'image2video' &&
    model === 'kling-v1-5' &&
    mode === 'pro' &&
    duration === '5' &&
    type === 'simple'
  );
}

export {
  OFFICIAL_ERRORS,
  type OfficialFakeError,
  officialError,
  officialErrorBody,
  officialErrorBodyFor,
  officialFault,
  officialNotFoundFault,
} from './official-errors.js';

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
    cameraControl(request: CameraRequest): string | undefined;
    mode(model: string): string | undefined;
    /** Why `multi_shot: true` is refused for a model; absent: the provider has no multi-shot. */
    multiShot?(model: string): string | undefined;
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
        fakeRoute(
          'submit',
          'POST',
          new RegExp(`^${base}\\/v1\\/videos\\/(${endpoints})$`),
          (context) => create(options, context),
          false,
        ),
        fakeRoute(
          'status',
          'GET',
          new RegExp(`^${base}\\/v1\\/videos\\/(${endpoints})\\/([^/]+)$`),
          (context) => query(options, context),
          false,
        ),
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
  const problem = validateOfficialBody(options, endpoint, context.json);
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
    task !== undefined && (task.meta.endpoint === endpoint || task.meta.recovered === 'true')
      ? task
      : undefined;
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
