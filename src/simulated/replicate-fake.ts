import { randomBytes } from 'node:crypto';
import { CallbackingFakeServer } from './fake-callbacks.js';
import { fakeRoute, keyedFakeOptions } from './fake-http.js';
import type { FakeProviderServer, FakeTask, Fault, RouteContext } from './fake-server.js';

/**
 * Replicate as reference/peer-apis.md describes it (replicate-javascript, index.d.ts):
 * `POST /v1/models/{owner}/{name}/predictions` (Bearer) with `{input, webhook?,
 * webhook_events_filter?}` answers 201 with the prediction `{id, model, version, input, logs,
 * output, error, status, created_at, urls: {get, cancel, stream, web}, webhook?}`;
 * `GET /v1/predictions/{id}` polls, `POST /v1/predictions/{id}/cancel` cancels, and
 * `GET /v1/predictions` lists newest first in cursor pages `{next, previous, results}`.
 * Errors are problem details `{title, detail, status}`. With a webhook and the `completed`
 * event, the fake POSTs the finished prediction to it (`webhookLogBytes` pads its logs, for
 * the over-64 KB bodies Replicate can send).
 */

export const REPLICATE_FAKE_API_KEY = 'r8_replicate-fake-token';

interface ModelRules {
  /** The model's own `mode` input values, where it has one. */
  modes?: string[];
  startImageRequired?: boolean;
  /** `end_image`: never, only with mode pro, or always allowed. */
  endImage: 'no' | 'pro' | 'yes';
  aspectRatio: boolean;
  cfgScale: boolean;
}

const MODELS: Record<string, ModelRules> = {
  'kwaivgi/kling-v1.6-standard': { endImage: 'no', aspectRatio: true, cfgScale: true },
  'kwaivgi/kling-v1.6-pro': { endImage: 'no', aspectRatio: true, cfgScale: true },
  'kwaivgi/kling-v2.1': {
    modes: ['standard', 'pro'],
    startImageRequired: true,
    endImage: 'pro',
    aspectRatio: false,
    cfgScale: false,
  },
  'kwaivgi/kling-v2.1-master': { endImage: 'no', aspectRatio: true, cfgScale: false },
  'kwaivgi/kling-v2.5-turbo-pro': { endImage: 'yes', aspectRatio: true, cfgScale: false },
};

export function replicateErrorBody(status: number, detail: string, title?: string): unknown {
  return { ...(title ? { title } : {}), detail, status };
}

/** Replicate's problem details for an injected status (the status faults' default body). */
export function replicateErrorBodyFor(status: number): unknown {
  return replicateErrorBody(status, `injected HTTP ${status}`);
}

/** Replicate's "no such prediction" (404 with its problem details). */
export function replicateNotFoundFault(): Fault {
  return { type: 'status', status: 404, body: replicateErrorBody(404, 'Not found.') };
}

export interface ReplicateFakeOptions {
  apiKey?: string;
  renderMs?: number;
  /** Predictions per page of the listing (Replicate's is 100). */
  pageSize?: number;
}

export class ReplicateFake extends CallbackingFakeServer {
  pageSize = 100;
  /** Bytes of logs each prediction carries (0: none); large values make large webhook bodies. */
  webhookLogBytes = 0;
}

export async function startReplicateFake(
  options: ReplicateFakeOptions = {},
): Promise<ReplicateFake> {
  const fake = new ReplicateFake(
    {
      ...keyedFakeOptions(
        {
          name: 'replicate',
          basePath: '',
          errorBody: replicateErrorBodyFor,
          defaultKey: REPLICATE_FAKE_API_KEY,
          rejectedBody: replicateErrorBody(
            401,
            'You did not pass a valid authentication token',
            'Unauthenticated',
          ),
          contentType: 'application/problem+json',
        },
        options,
      ),
      routes: [
        fakeRoute('submit', 'POST', /^\/v1\/models\/([^/]+)\/([^/]+)\/predictions$/, submit),
        fakeRoute('cancel', 'POST', /^\/v1\/predictions\/([^/]+)\/cancel$/, cancel),
        fakeRoute('status', 'GET', /^\/v1\/predictions\/([^/]+)$/, poll),
        fakeRoute('list', 'GET', /^\/v1\/predictions$/, list),
      ],
    },
    {
      urlOf: (request) => {
        const events = request.webhook_events_filter;
        const wantsCompleted = !Array.isArray(events) || events.includes('completed');
        return typeof request.webhook === 'string' && wantsCompleted ? request.webhook : undefined;
      },
      body: (task, server) => prediction(task, server),
    },
  );
  if (options.pageSize !== undefined) fake.pageSize = options.pageSize;
  return fake.start();
}

function submit({ params, json, response, fake }: RouteContext): void {
  const model = `${params[0]}/${params[1]}`;
  const problem = validate(model, json);
  if (problem) {
    return void fake.sendJson(
      response,
      422,
      replicateErrorBody(422, `- input: ${problem}`, 'Input validation failed'),
    );
  }
  const id = randomBytes(13).toString('hex').slice(0, 26);
  const task = fake.createTask(json as Record<string, unknown>, { model }, id);
  fake.sendJson(response, 201, prediction(task, fake));
}

function poll({ params, response, fake }: RouteContext): void {
  const task = fake.tasks.get(params[0] ?? '');
  if (!task) return void fake.sendJson(response, 404, replicateErrorBody(404, 'Not found.'));
  fake.sendJson(response, 200, prediction(task, fake));
}

function cancel({ params, response, fake }: RouteContext): void {
  const task = fake.tasks.get(params[0] ?? '');
  if (!task) return void fake.sendJson(response, 404, replicateErrorBody(404, 'Not found.'));
  const state = fake.taskState(task);
  if (state === 'queued' || state === 'running') {
    task.outcome = { type: 'fail', message: 'canceled' };
    task.renderMs = Math.max(0, Date.now() - task.createdAt);
    task.meta.canceled = 'true';
  }
  fake.sendJson(response, 200, prediction(task, fake));
}

/** Newest first, `pageSize` per page, `?cursor=<offset>` for the next. */
function list({ url, response, fake }: RouteContext): void {
  const all = [...fake.tasks.values()].sort((left, right) => right.createdAt - left.createdAt);
  const size = (fake as ReplicateFake).pageSize;
  const offset = Number(url.searchParams.get('cursor') ?? '0') || 0;
  const results = all.slice(offset, offset + size).map((task) => prediction(task, fake));
  const next =
    offset + size < all.length ? `${fake.origin}/v1/predictions?cursor=${offset + size}` : null;
  const previous =
    offset > 0 ? `${fake.origin}/v1/predictions?cursor=${Math.max(0, offset - size)}` : null;
  fake.sendJson(response, 200, { next, previous, results });
}

/** The prediction object for the task's current state. */
function prediction(task: FakeTask, fake: FakeProviderServer): Record<string, unknown> {
  const state = fake.taskState(task);
  const canceled = task.meta.canceled === 'true';
  const status =
    state === 'queued'
      ? 'starting'
      : state === 'running'
        ? 'processing'
        : state === 'succeeded'
          ? 'succeeded'
          : canceled
            ? 'canceled'
            : 'failed';
  const urlBase = `${fake.origin}/v1/predictions/${task.id}`;
  const logBytes = (fake as ReplicateFake).webhookLogBytes;
  const finished = state === 'succeeded' || state === 'failed';
  return {
    id: task.id,
    model: task.meta.model,
    version: 'hidden',
    input: task.request.input,
    logs: logBytes > 0 ? 'x'.repeat(logBytes) : '',
    output: state === 'succeeded' ? fake.videoUrl(task) : null,
    data_removed: false,
    error: state === 'failed' && !canceled ? fake.failureMessage(task) : null,
    status,
    source: 'api',
    created_at: new Date(task.createdAt).toISOString(),
    ...(finished ? { completed_at: new Date(task.createdAt + task.renderMs).toISOString() } : {}),
    urls: {
      get: urlBase,
      cancel: `${urlBase}/cancel`,
      stream: `${fake.origin}/stream/${task.id}`,
      web: `https://replicate.com/p/${task.id}`,
    },
    ...(typeof task.request.webhook === 'string' ? { webhook: task.request.webhook } : {}),
    ...(task.request.webhook_events_filter
      ? { webhook_events_filter: task.request.webhook_events_filter }
      : {}),
  };
}

/** The version pages' inputs, so a wrong name or type fails as it would there. */
function validate(model: string, json: unknown): string | undefined {
  const rules = MODELS[model];
  if (!rules) return `model ${model} does not exist`;
  const body = (json ?? {}) as Record<string, unknown>;
  if (body.webhook !== undefined && typeof body.webhook !== 'string') return 'webhook: not a URL';
  const input = body.input as Record<string, unknown> | undefined;
  if (!input || typeof input !== 'object') return 'input is required';
  if (typeof input.prompt !== 'string' || input.prompt === '') return 'prompt is required';
  if (input.duration !== 5 && input.duration !== 10) return 'duration must be 5 or 10 (integer)';
  if (rules.modes && !rules.modes.includes(String(input.mode ?? 'standard'))) {
    return `mode must be one of ${rules.modes.join(', ')}`;
  }
  if (!rules.modes && input.mode !== undefined) return 'mode: additional property not allowed';
  if (rules.startImageRequired && !isImage(input.start_image)) return 'start_image is required';
  if (input.start_image !== undefined && !isImage(input.start_image))
    return 'start_image: not a URI';
  if (input.image !== undefined) return 'image is deprecated; use start_image';
  if (input.end_image !== undefined) {
    if (rules.endImage === 'no') return 'end_image: additional property not allowed';
    if (rules.endImage === 'pro' && input.mode !== 'pro') return 'end_image needs mode pro';
    if (!isImage(input.end_image)) return 'end_image: not a URI';
  }
  if (input.aspect_ratio !== undefined && !rules.aspectRatio) return 'aspect_ratio not allowed';
  if (input.cfg_scale !== undefined) {
    if (!rules.cfgScale) return 'cfg_scale: additional property not allowed';
    if (typeof input.cfg_scale !== 'number' || input.cfg_scale > 1) return 'cfg_scale ≤ 1';
  }
  return undefined;
}

function isImage(value: unknown): boolean {
  return typeof value === 'string' && /^(https?:\/\/|data:image\/)/.test(value);
}
