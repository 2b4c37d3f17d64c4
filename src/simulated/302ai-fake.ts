import { randomBytes } from 'node:crypto';
import { fakeRoute, keyedFakeOptions } from './fake-http.js';
import { FakeProviderServer, type FakeTask, type RouteContext } from './fake-server.js';

/**
 * 302.AI's Kling 2.1 image-to-video as seeds/002 describes it: four multipart/form-data
 * endpoints that require the first frame as a file part (`input_image`), plus the free Fetch.
 * The seed gives no URLs or response bodies: the paths and the
 * `{data: {status, task: {id, status}, works: [{resource: {resource}}]}}` bodies (numeric
 * statuses 5 queued, 10 rendering, 50 failed, 99 done) are the ones public 302.AI clients use.
 */

export const AI302_FAKE_API_KEY = 'ai302-fake-key';

/** The four endpoints: 2.1 5 s / 10 s, HD 5 s / 10 s. */
export const AI302_FAKE_ROUTES = [
  'm2v_21_img2video',
  'm2v_21_img2video_10s',
  'm2v_21_img2video_hq',
  'm2v_21_img2video_hq_10s',
] as const;

const FIELDS = new Set([
  'input_image',
  'prompt',
  'negative_prompt',
  'cfg',
  'aspect_ratio',
  'enable_audio',
]);
const ASPECT_RATIOS = new Set(['1:1', '16:9', '9:16']);
const STATUS_CODES = { queued: 5, running: 10, failed: 50, succeeded: 99 } as const;

/** 302.AI's error bodies are not in the seed; the `{error: {err_code, message}}` shape its clients read. */
export function ai302ErrorBody(errCode: number, message: string): unknown {
  return { error: { err_code: errCode, message, message_cn: message, type: 'api_error' } };
}

/** 302.AI's envelope for an injected status (the status faults' default body). */
export function ai302ErrorBodyFor(status: number): unknown {
  return ai302ErrorBody(-status, `injected HTTP ${status}`);
}

/** 302.AI's "no such task" on Fetch (404 with its envelope). */
export function ai302NotFoundFault() {
  return { type: 'status' as const, status: 404, body: ai302ErrorBody(-10004, 'task not found') };
}

export async function startAi302Fake(
  options: { apiKey?: string; renderMs?: number } = {},
): Promise<FakeProviderServer> {
  const fake = new FakeProviderServer({
    ...keyedFakeOptions(
      {
        name: '302ai',
        basePath: '',
        errorBody: ai302ErrorBodyFor,
        defaultKey: AI302_FAKE_API_KEY,
        rejectedBody: ai302ErrorBody(-10001, 'Invalid API key'),
      },
      options,
    ),
    routes: [
      fakeRoute(
        'submit',
        'POST',
        new RegExp(`^/klingai/(${AI302_FAKE_ROUTES.join('|')})$`),
        submit,
      ),
      fakeRoute('status', 'GET', /^\/klingai\/task\/([^/]+)\/fetch$/, fetchTask),
    ],
  });
  return fake.start();
}

async function submit(context: RouteContext): Promise<void> {
  const { request, response, fake } = context;
  const contentType = request.headers['content-type'] ?? '';
  if (!contentType.startsWith('multipart/form-data')) {
    return fake.sendJson(response, 400, ai302ErrorBody(-10002, 'expected multipart/form-data'));
  }
  let form: FormData;
  try {
    // The base server keeps the body as UTF-8 text; test images are ASCII so nothing is lost.
    form = await new Response(Buffer.from(context.body, 'utf8'), {
      headers: { 'content-type': contentType },
    }).formData();
  } catch (error) {
    return fake.sendJson(response, 400, ai302ErrorBody(-10002, `bad multipart body: ${error}`));
  }
  const problem = validate(form);
  if (problem) return fake.sendJson(response, 400, ai302ErrorBody(-10002, problem));

  const image = form.get('input_image') as File;
  const fields: Record<string, unknown> = { route: context.params[0] };
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = value;
  }
  fields.input_image = {
    fileName: image.name,
    contentType: image.type,
    size: image.size,
    text: await image.text(),
  };
  const task = fake.createTask(
    fields,
    { route: String(context.params[0]) },
    `kling_${randomBytes(8).toString('hex')}`,
  );
  fake.sendJson(response, 200, taskBody(fake, task));
}

function fetchTask({ params, response, fake, url }: RouteContext): void {
  const task = fake.tasks.get(String(params[0]));
  // `geo` picks the storage region (global or cn); anything else is refused.
  const geo = url.searchParams.get('geo');
  if (!task) {
    fake.sendJson(response, 404, ai302ErrorBody(-10004, 'task not found'));
  } else if (geo !== null && geo !== 'global' && geo !== 'cn') {
    fake.sendJson(response, 400, ai302ErrorBody(-10002, 'geo must be global or cn'));
  } else {
    fake.sendJson(response, 200, taskBody(fake, task));
  }
}

function taskBody(fake: FakeProviderServer, task: FakeTask): unknown {
  const state = fake.taskState(task);
  const status = STATUS_CODES[state];
  return {
    data: {
      status,
      task: {
        id: task.id,
        status,
        type: task.meta.route,
        ...(state === 'failed' ? { message: fake.failureMessage(task) } : {}),
      },
      works:
        state === 'succeeded'
          ? [{ resource: { resource: fake.videoUrl(task), duration: 5000 } }]
          : [],
    },
  };
}

function validate(form: FormData): string | undefined {
  for (const name of form.keys()) {
    if (!FIELDS.has(name)) return `unknown field ${name}`;
  }
  const image = form.get('input_image');
  if (image === null) return 'input_image is required';
  if (typeof image === 'string') return 'input_image must be a file, not a text field';
  if (image.size === 0) return 'input_image is empty';
  const cfg = form.get('cfg');
  if (cfg !== null) {
    const value = Number(cfg);
    if (typeof cfg !== 'string' || !Number.isFinite(value) || value < 0 || value > 1) {
      return 'cfg must be a number in [0, 1]';
    }
  }
  const aspectRatio = form.get('aspect_ratio');
  if (
    aspectRatio !== null &&
    (typeof aspectRatio !== 'string' || !ASPECT_RATIOS.has(aspectRatio))
  ) {
    return 'aspect_ratio must be one of 1:1, 16:9, 9:16';
  }
  const audio = form.get('enable_audio');
  if (audio !== null && audio !== 'true' && audio !== 'false') {
    return 'enable_audio must be true or false';
  }
  return undefined;
}
