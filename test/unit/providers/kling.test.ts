import { decodeJwt, decodeProtectedHeader } from 'jose';
import { request as undiciRequest } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { createGuardedAgent } from '../../../src/http/guarded-agent.js';
import { createKlingProvider } from '../../../src/providers/kling.js';
import { KLING_OFFERS, priceKling } from '../../../src/providers/kling-catalog.js';
import { signKlingToken } from '../../../src/providers/kling-jwt.js';
import {
  classifyOfficialCode,
  type OfficialTask,
  officialTaskStatus,
} from '../../../src/providers/official-wire.js';
import { priceOpenAiHk } from '../../../src/providers/openai-hk-catalog.js';
import type { ImageResolver, ProviderAdapter } from '../../../src/providers/provider.js';
import {
  type UnifiedRequest,
  type UnifiedRequestInput,
  unifiedRequestSchema,
} from '../../../src/request/unified-request.js';
import {
  bareNotFoundFault,
  type FakeProviderServer,
  type FakeTaskState,
} from '../../../src/simulated/fake-server.js';
import {
  KLING_FAKE_ACCESS_KEY,
  KLING_FAKE_SECRET_KEY,
  startKlingFake,
} from '../../../src/simulated/kling-fake.js';
import { officialFault } from '../../../src/simulated/official-format-fake.js';
import { http, rejection, settled } from './provider-test-support.js';

const IMAGE_URL = 'https://images.example/cat.png';
const END_IMAGE_URL = 'https://images.example/cat-end.png';
const BLOB_REFERENCE = `blob:sha256:${'a'.repeat(64)}`;
const BLOB_BASE64 = 'aGVsbG8=';

const agent = http.dispatcher;

function unified(input: Partial<UnifiedRequestInput> = {}): UnifiedRequest {
  return unifiedRequestSchema.parse({ model: 'kling-v1.6', prompt: 'a cat in a garden', ...input });
}

function imageResolver(): ImageResolver {
  return {
    asUrl: async (reference) => reference,
    asBase64: async () => BLOB_BASE64,
    asDataUri: async () => `data:image/png;base64,${BLOB_BASE64}`,
    asBytes: async () => ({
      bytes: new Uint8Array([1]),
      contentType: 'image/png',
      fileName: 'image.png',
    }),
  };
}

/** Polls until the task leaves queued/running (bounded by vi.waitFor's timeout). */

/** Moves a fake task's clock so it is in a given render state, without sleeping. */
function putTaskIn(fake: FakeProviderServer, taskId: string, state: FakeTaskState): void {
  const task = fake.tasks.get(taskId)!;
  task.renderMs = 60_000;
  if (state === 'queued') task.createdAt = Date.now() + 60_000;
  if (state === 'running') task.createdAt = Date.now() - 1_000;
  if (state === 'succeeded' || state === 'failed') task.createdAt = Date.now() - 61_000;
}

function lastSubmitBody(fake: FakeProviderServer): Record<string, unknown> {
  return fake.requestsFor('submit').at(-1)!.json as Record<string, unknown>;
}

function bearer(header: string | string[] | undefined): string {
  return String(header).replace(/^Bearer /, '');
}

describe('kling (official API) adapter against its fake', () => {
  let fake: FakeProviderServer;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    fake = await startKlingFake({ renderMs: 100 });
    adapter = createKlingProvider({
      accessKey: KLING_FAKE_ACCESS_KEY,
      secretKey: KLING_FAKE_SECRET_KEY,
      baseUrl: fake.baseUrl,
      http,
    });
  });
  afterEach(() => {
    fake.clearFaults();
    fake.defaultOutcome = { type: 'succeed' };
  });
  afterAll(async () => {
    await fake.stop();
  });

  describe('submit wire format', () => {
    it('posts JSON to {base}/v1/videos/text2video with a Bearer JWT', async () => {
      await adapter.submit(unified(), { images: imageResolver() });
      const sent = fake.requestsFor('submit').at(-1)!;
      expect(sent.method).toBe('POST');
      expect(sent.path).toBe('/v1/videos/text2video');
      expect(sent.headers['content-type']).toBe('application/json');
      expect(sent.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    });

    it('signs the JWT as the official docs say: HS256, iss = access key, exp = nbf + 1805 s', async () => {
      await adapter.submit(unified(), { images: imageResolver() });
      const token = bearer(fake.requestsFor('submit').at(-1)!.headers.authorization);
      expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
      const claims = decodeJwt(token);
      expect(claims.iss).toBe(KLING_FAKE_ACCESS_KEY);
      expect(claims.exp! - claims.nbf!).toBe(1805);
      expect(Math.abs(claims.exp! - (Date.now() / 1000 + 1800))).toBeLessThan(5);
    });

    it('sends duration as the string "5", never a number', async () => {
      await adapter.submit(unified({ duration: 5 }), { images: imageResolver() });
      expect(lastSubmitBody(fake).duration).toBe('5');
    });

    it('sends the idempotency key as external_task_id and the callback as callback_url', async () => {
      await adapter.submit(unified(), {
        images: imageResolver(),
        externalTaskId: 'wf-callback-1',
        callbackUrl: 'https://hooks.example/kling?token=t',
      });
      const body = lastSubmitBody(fake);
      expect(body.external_task_id).toBe('wf-callback-1');
      expect(body.callback_url).toBe('https://hooks.example/kling?token=t');
      expect(body).not.toHaveProperty('notify_hook');
    });

    it.each([
      ['kling-v1', 'text2video', 'kling-v1'],
      ['kling-v1.6', 'text2video', 'kling-v1-6'],
      ['kling-v2', 'text2video', 'kling-v2-master'],
      ['kling-v2.1-master', 'text2video', 'kling-v2-1-master'],
      ['kling-v2.5-turbo', 'text2video', 'kling-v2-5-turbo'],
      ['kling-v2.6', 'text2video', 'kling-v2-6'],
      ['kling-v3', 'text2video', 'kling-v3'],
      ['kling-o1', 'omni-video', 'kling-video-o1'],
    ] as const)(
      'maps text-only %s to %s with model_name %s',
      async (model, endpoint, modelName) => {
        const { taskId, handle } = await adapter.submit(unified({ model }), {
          images: imageResolver(),
        });
        expect(fake.requestsFor('submit').at(-1)!.path).toBe(`/v1/videos/${endpoint}`);
        expect(lastSubmitBody(fake).model_name).toBe(modelName);
        expect(handle).toEqual({ provider: 'kling', taskId, endpoint });
      },
    );

    it.each([
      ['kling-v1', 'kling-v1'],
      ['kling-v1.5', 'kling-v1-5'],
      ['kling-v1.6', 'kling-v1-6'],
      ['kling-v2', 'kling-v2-master'],
      ['kling-v2.1', 'kling-v2-1'],
      ['kling-v2.1-master', 'kling-v2-1-master'],
      ['kling-v2.5-turbo', 'kling-v2-5-turbo'],
      ['kling-v2.6', 'kling-v2-6'],
      ['kling-v3', 'kling-v3'],
    ] as const)(
      'maps %s with a start image to image2video with model_name %s',
      async (model, modelName) => {
        await adapter.submit(unified({ model, startImage: IMAGE_URL }), {
          images: imageResolver(),
        });
        expect(fake.requestsFor('submit').at(-1)!.path).toBe('/v1/videos/image2video');
        const body = lastSubmitBody(fake);
        expect(body.model_name).toBe(modelName);
        expect(body.image).toBe(IMAGE_URL);
      },
    );

    it('sends a stored blob as raw base64 without a data: prefix, and the end frame as image_tail', async () => {
      await adapter.submit(
        unified({
          model: 'kling-v1.6',
          mode: 'pro',
          startImage: BLOB_REFERENCE,
          endImage: END_IMAGE_URL,
        }),
        { images: imageResolver() },
      );
      const body = lastSubmitBody(fake);
      expect(body.image).toBe(BLOB_BASE64);
      expect(body.image_tail).toBe(END_IMAGE_URL);
    });

    it('drops aspect_ratio on image2video and says so in the check warnings', async () => {
      const request = unified({ startImage: IMAGE_URL, aspectRatio: '9:16' });
      expect(adapter.check(request).warnings).toEqual([
        expect.stringMatching(/aspectRatio is not supported/),
      ]);
      await adapter.submit(request, { images: imageResolver() });
      expect(lastSubmitBody(fake)).not.toHaveProperty('aspect_ratio');
    });

    it('sends aspect_ratio, cfg_scale and camera_control on kling-v1 text2video', async () => {
      await adapter.submit(
        unified({
          model: 'kling-v1',
          aspectRatio: '1:1',
          cfgScale: 0.4,
          cameraControl: { type: 'simple', config: { zoom: 5 } },
        }),
        { images: imageResolver() },
      );
      expect(lastSubmitBody(fake)).toMatchObject({
        mode: 'std',
        aspect_ratio: '1:1',
        cfg_scale: 0.4,
        camera_control: { type: 'simple', config: { zoom: 5 } },
      });
    });

    it('sends simple camera_control on kling-v1.5 image2video at 5 s pro, as the map allows', async () => {
      const { taskId } = await adapter.submit(
        unified({
          model: 'kling-v1.5',
          mode: 'pro',
          startImage: IMAGE_URL,
          cameraControl: { type: 'simple', config: { pan: 3 } },
        }),
        { images: imageResolver() },
      );
      expect(taskId).toBeTruthy();
      expect(lastSubmitBody(fake)).toMatchObject({
        model_name: 'kling-v1-5',
        mode: 'pro',
        camera_control: { type: 'simple', config: { pan: 3 } },
      });
    });

    it('leaves mode out for the single-tier master models', async () => {
      await adapter.submit(unified({ model: 'kling-v2' }), { images: imageResolver() });
      expect(lastSubmitBody(fake)).not.toHaveProperty('mode');
    });

    it('sends sound as "on"/"off" on kling-v2-6 pro', async () => {
      await adapter.submit(unified({ model: 'kling-v2.6', mode: 'pro', sound: true }), {
        images: imageResolver(),
      });
      expect(lastSubmitBody(fake).sound).toBe('on');
      await adapter.submit(unified({ model: 'kling-v2.6', sound: false }), {
        images: imageResolver(),
      });
      expect(lastSubmitBody(fake).sound).toBe('off');
    });

    it('puts omni-video images in image_list as first and end frame', async () => {
      await adapter.submit(
        unified({ model: 'kling-o1', startImage: IMAGE_URL, endImage: BLOB_REFERENCE }),
        { images: imageResolver() },
      );
      expect(lastSubmitBody(fake).image_list).toEqual([
        { image_url: IMAGE_URL, type: 'first_frame' },
        { image_url: BLOB_BASE64, type: 'end_frame' },
      ]);
    });

    it('passes providerOptions.kling through without letting it replace a mapped field', async () => {
      await adapter.submit(
        unified({
          providerOptions: {
            kling: { watermark_info: { enabled: false }, model_name: 'kling-v9' },
          },
        }),
        { images: imageResolver() },
      );
      const body = lastSubmitBody(fake);
      expect(body.watermark_info).toEqual({ enabled: false });
      expect(body.model_name).toBe('kling-v1-6');
    });

    it('keeps the handle small and free of secrets', async () => {
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      const text = JSON.stringify(handle);
      expect(Object.keys(handle).sort()).toEqual(['endpoint', 'provider', 'taskId']);
      expect(text).not.toContain(KLING_FAKE_SECRET_KEY);
      expect(text).not.toContain('eyJ');
    });
  });

  describe('JWT reuse and renewal', () => {
    it('reuses the cached token across calls', async () => {
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      await adapter.status(handle, {});
      await adapter.status(handle, {});
      const tokens = fake.requests.slice(-3).map((entry) => entry.headers.authorization);
      expect(new Set(tokens).size).toBe(1);
    });

    it('signs a new token after code 1004 (expired) and repeats the call once', async () => {
      let reads = 0;
      // Each clock read is a whole second before the previous one, counted from a clock fixed at
      // the start: the renewed token always differs (a real clock moving on between the reads
      // could land both in one second), and both are still valid.
      const startedAt = Math.floor(Date.now() / 1000) * 1000;
      const renewing = createKlingProvider({
        accessKey: KLING_FAKE_ACCESS_KEY,
        secretKey: KLING_FAKE_SECRET_KEY,
        baseUrl: fake.baseUrl,
        http,
        now: () => startedAt - reads++ * 1000,
      });
      const before = fake.submissions;
      fake.injectFault({ route: 'submit', fault: officialFault(1004), times: 1 });
      const { handle } = await renewing.submit(unified(), { images: imageResolver() });
      const [rejected, accepted] = fake.requestsFor('submit').slice(-2);
      expect(rejected!.headers.authorization).not.toBe(accepted!.headers.authorization);
      expect(fake.submissions).toBe(before + 1);
      await renewing.status(handle, {});
      expect(fake.requests.at(-1)!.headers.authorization).toBe(accepted!.headers.authorization);
    });

    it('gives up after one renewal when the provider still says expired (provider-unavailable)', async () => {
      const skewed = createKlingProvider({
        accessKey: KLING_FAKE_ACCESS_KEY,
        secretKey: KLING_FAKE_SECRET_KEY,
        baseUrl: fake.baseUrl,
        http,
        now: () => Date.now() - 3_600_000,
      });
      const sentBefore = fake.requestsFor('submit').length;
      const error = await rejection(skewed.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.providerCode).toBe(1004);
      expect(fake.requestsFor('submit').length - sentBefore).toBe(2);
    });

    it('treats a token signed with the wrong secret as provider-unavailable, without leaking it', async () => {
      const wrong = createKlingProvider({
        accessKey: KLING_FAKE_ACCESS_KEY,
        secretKey: 'not-the-secret',
        baseUrl: fake.baseUrl,
        http,
      });
      const error = await rejection(wrong.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.providerCode).toBe(1002);
      const token = bearer(fake.requestsFor('submit').at(-1)!.headers.authorization);
      expect(error.message).not.toContain(token);
      expect(error.message).not.toContain('not-the-secret');
    });
  });

  describe('status', () => {
    it.each([
      ['queued', 'queued'],
      ['running', 'running'],
    ] as const)('maps a %s task to %s', async (fakeState, expected) => {
      const { taskId, handle } = await adapter.submit(unified(), { images: imageResolver() });
      putTaskIn(fake, taskId, fakeState);
      expect((await adapter.status(handle, {})).state).toBe(expected);
    });

    it('returns the video URL and duration of a finished task', async () => {
      const { taskId, handle } = await adapter.submit(unified(), { images: imageResolver() });
      const status = await settled(adapter, handle);
      expect(status).toEqual({
        state: 'succeeded',
        videos: [{ url: `${fake.origin}/files/${taskId}.mp4`, durationSeconds: 5.1 }],
      });
    });

    it('queries the endpoint the task was created on', async () => {
      const { taskId, handle } = await adapter.submit(unified({ startImage: IMAGE_URL }), {
        images: imageResolver(),
      });
      await adapter.status(handle, {});
      expect(fake.requestsFor('status').at(-1)!.path).toBe(`/v1/videos/image2video/${taskId}`);
    });

    it('reports a moderation failure as content-rejected with the provider message', async () => {
      fake.queueOutcome({ type: 'fail', message: 'Content moderation review failed.' });
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(await settled(adapter, handle)).toEqual({
        state: 'failed',
        reason: 'Content moderation review failed.',
        kind: 'content-rejected',
      });
    });

    it('reports any other failed task as provider-unavailable (fail over)', async () => {
      fake.queueOutcome({ type: 'fail', message: 'internal render error' });
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(await settled(adapter, handle)).toMatchObject({
        state: 'failed',
        kind: 'provider-unavailable',
      });
    });

    it('reports a task the provider no longer knows (code 1203) as failed, provider-unavailable', async () => {
      const status = await adapter.status(
        { provider: 'kling', taskId: 'lost-task', endpoint: 'text2video' },
        {},
      );
      expect(status).toMatchObject({ state: 'failed', kind: 'provider-unavailable' });
    });

    it('refuses a handle without an endpoint rather than guessing one', async () => {
      const error = await rejection(adapter.status({ provider: 'kling', taskId: 'x' }, {}));
      expect(error.kind).toBe('invalid-request');
    });
  });

  describe('errors', () => {
    it.each([
      [500, undefined, 'transient', true],
      [503, undefined, 'transient', true],
      [429, undefined, 'transient', true],
      [401, 1000, 'provider-unavailable', false],
      [429, 1100, 'provider-unavailable', false],
      [429, 1101, 'provider-unavailable', false],
      [429, 1102, 'provider-unavailable', false],
      [403, 1103, 'provider-unavailable', false],
      [429, 1304, 'provider-unavailable', false],
      [400, 1200, 'invalid-request', false],
      [400, 1201, 'invalid-request', false],
      [400, 1300, 'content-rejected', false],
      [400, 1301, 'content-rejected', false],
      [429, 1302, 'transient', false],
      [429, 1303, 'transient', false],
      [500, 5000, 'transient', false],
      [503, 5001, 'transient', false],
      [504, 5002, 'transient', true],
    ] as const)(
      'classifies HTTP %s with code %s on submit as %s (ambiguous: %s)',
      async (status, code, kind, ambiguous) => {
        // Without a code the body is not the official envelope (something in front answered).
        fake.injectFault({
          route: 'submit',
          fault:
            code === undefined
              ? { type: 'status', status, body: { message: 'upstream failed' } }
              : { ...officialFault(code), status },
          times: 1,
        });
        const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
        expect(error.kind).toBe(kind);
        expect(error.httpStatus).toBe(status);
        expect(error.providerCode).toBe(code);
        expect(error.ambiguous).toBe(ambiguous);
      },
    );

    it('honours Retry-After on a 429 rate limit', async () => {
      fake.injectFault({
        route: 'submit',
        fault: officialFault(1302, { 'retry-after': '7' }),
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.retryAfterMs).toBe(7000);
    });

    it('treats a 2xx with malformed JSON to a submit as ambiguous (the task may exist)', async () => {
      fake.injectFault({ route: 'submit', fault: { type: 'malformed-json' }, times: 1 });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.ambiguous).toBe(true);
    });

    it('treats malformed JSON to a status query as transient', async () => {
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      fake.injectFault({ route: 'status', fault: { type: 'malformed-json' }, times: 1 });
      const error = await rejection(adapter.status(handle, {}));
      expect(error.kind).toBe('transient');
      expect(error.ambiguous).toBe(false);
    });

    it('treats a submit that hangs past the headers timeout as ambiguous', async () => {
      const impatient = createKlingProvider({
        accessKey: KLING_FAKE_ACCESS_KEY,
        secretKey: KLING_FAKE_SECRET_KEY,
        baseUrl: fake.baseUrl,
        http: {
          dispatcher: createGuardedAgent({
            allowPrivateNetwork: true,
            timeouts: { headersTimeoutMs: 200 },
          }),
          allowPrivateNetwork: true,
        },
      });
      fake.injectFault({ route: 'submit', fault: { type: 'hang' }, times: 1 });
      const error = await rejection(impatient.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.ambiguous).toBe(true);
    });

    it('resolves an accepted-then-cut submit with findTask: one task, found by external id', async () => {
      const request = unified();
      const before = fake.submissions;
      fake.injectFault({ route: 'submit', fault: { type: 'accept-then-cut' }, times: 1 });
      const error = await rejection(
        adapter.submit(request, { images: imageResolver(), externalTaskId: 'wf-cut-1' }),
      );
      expect(error.ambiguous).toBe(true);
      expect(fake.submissions).toBe(before + 1);

      const found = await adapter.findTask!('wf-cut-1', request, {});
      expect(fake.requestsFor('status').at(-1)!.path).toBe('/v1/videos/text2video/wf-cut-1');
      const created = [...fake.tasks.values()].find(
        (task) => task.meta.externalTaskId === 'wf-cut-1',
      )!;
      expect(found).toEqual({
        taskId: created.id,
        handle: { provider: 'kling', taskId: created.id, endpoint: 'text2video' },
      });
      expect((await settled(adapter, found!.handle)).state).toBe('succeeded');
      expect(fake.submissions).toBe(before + 1);
    });

    it('findTask returns undefined for an external id the provider does not know', async () => {
      expect(await adapter.findTask!('wf-never-sent', unified(), {})).toBeUndefined();
    });

    it('findTask does not read a bare 404 (no official envelope) as "no such task"', async () => {
      fake.injectFault({ route: 'status', fault: bareNotFoundFault(), times: 1 });
      const error = await rejection(adapter.findTask!('wf-proxy-404', unified(), {}));
      expect(error.httpStatus).toBe(404);
      expect(error.kind).toBe('transient');
    });

    it('findTask looks on the endpoint the request would have used', async () => {
      const request = unified({ startImage: IMAGE_URL });
      await adapter.submit(request, { images: imageResolver(), externalTaskId: 'wf-image-1' });
      const found = await adapter.findTask!('wf-image-1', request, {});
      expect(found?.handle.endpoint).toBe('image2video');
      expect(await adapter.findTask!('wf-image-1', unified(), {})).toBeUndefined();
    });

    it('a second submit with the same external_task_id creates nothing and is reported as ambiguous (the first was accepted)', async () => {
      await adapter.submit(unified(), { images: imageResolver(), externalTaskId: 'wf-dup-1' });
      const before = fake.submissions;
      const error = await rejection(
        adapter.submit(unified(), { images: imageResolver(), externalTaskId: 'wf-dup-1' }),
      );
      expect(error.kind).toBe('transient');
      expect(error.ambiguous).toBe(true);
      expect(error.providerCode).toBe(1201);
      expect(error.message).toMatch(/an earlier send was accepted/);
      expect(fake.submissions).toBe(before);
    });
  });

  describe('the fake enforces the official wire format', () => {
    async function rawSubmit(body: unknown, endpoint = 'text2video') {
      const token = await signKlingToken(
        { accessKey: KLING_FAKE_ACCESS_KEY, secretKey: KLING_FAKE_SECRET_KEY },
        Date.now(),
      );
      const response = await undiciRequest(`${fake.baseUrl}/v1/videos/${endpoint}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        dispatcher: agent,
      });
      return {
        status: response.statusCode,
        body: (await response.body.json()) as { code: number },
      };
    }

    it('refuses a numeric duration with 400 / code 1201', async () => {
      const answer = await rawSubmit({ model_name: 'kling-v1', prompt: 'x', duration: 5 });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe(1201);
    });

    it('refuses cfg_scale on a v2 model and notify_hook (not an official field)', async () => {
      expect(
        (await rawSubmit({ model_name: 'kling-v2-6', prompt: 'x', cfg_scale: 0.5 })).body.code,
      ).toBe(1201);
      expect((await rawSubmit({ prompt: 'x', notify_hook: 'https://h.example' })).body.code).toBe(
        1201,
      );
    });

    it('takes camera control only where the capability map has it', async () => {
      const camera = (type: string) => ({
        type,
        ...(type === 'simple' ? { config: { pan: 2 } } : {}),
      });
      const image = 'https://images.example/cat.png';
      const i2v = (model: string, type: string, mode = 'pro') =>
        rawSubmit(
          { model_name: model, image, mode, duration: '5', camera_control: camera(type) },
          'image2video',
        );
      expect((await i2v('kling-v1-5', 'simple')).body.code).toBe(0);
      expect((await i2v('kling-v1-5', 'down_back')).body.code).toBe(1201);
      expect((await i2v('kling-v1', 'simple', 'std')).body.code).toBe(1201);
      const t2v = { model_name: 'kling-v1', prompt: 'x', mode: 'std', duration: '5' };
      expect((await rawSubmit({ ...t2v, camera_control: camera('simple') })).body.code).toBe(0);
    });

    it('refuses a request without a token with 401 / code 1001', async () => {
      const response = await undiciRequest(`${fake.baseUrl}/v1/videos/text2video`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'x' }),
        dispatcher: agent,
      });
      expect(response.statusCode).toBe(401);
      expect(((await response.body.json()) as { code: number }).code).toBe(1001);
    });
  });
});

describe('kling check (per-model validation)', () => {
  const adapter = createKlingProvider({
    accessKey: 'a',
    secretKey: 's',
    http,
  });
  const fields = (input: Partial<UnifiedRequestInput>) =>
    adapter.check(unified(input)).issues.map((issue) => issue.field);

  it('accepts a plain text request on every text2video model', () => {
    for (const model of ['kling-v1', 'kling-v1.6', 'kling-v2', 'kling-v2.6', 'kling-v3'] as const) {
      expect(fields({ model })).toEqual([]);
    }
  });

  it('refuses cfgScale on v2.x models', () => {
    expect(fields({ model: 'kling-v2.6', cfgScale: 0.5 })).toEqual(['cfgScale']);
    expect(fields({ model: 'kling-v1.6', cfgScale: 0.5 })).toEqual([]);
  });

  it('refuses camera control outside kling-v1 at 5 s std', () => {
    const cameraControl = { type: 'down_back' } as const;
    expect(fields({ model: 'kling-v1', cameraControl })).toEqual([]);
    expect(fields({ model: 'kling-v1', cameraControl, duration: 10 })).toEqual(['cameraControl']);
    expect(fields({ model: 'kling-v1', cameraControl, mode: 'pro' })).toEqual(['cameraControl']);
    expect(fields({ model: 'kling-v1.6', cameraControl })).toEqual(['cameraControl']);
  });

  it('refuses sound on a model without audio, and on kling-v2.6 outside pro', () => {
    expect(fields({ model: 'kling-v1.6', sound: true })).toEqual(['sound']);
    expect(fields({ model: 'kling-v2.6', sound: true })).toEqual(['sound']);
    expect(fields({ model: 'kling-v2.6', mode: 'pro', sound: true })).toEqual([]);
    expect(fields({ model: 'kling-v3', sound: true })).toEqual([]);
  });

  it('refuses an end image where unsupported or std-only', () => {
    const images = { startImage: IMAGE_URL, endImage: END_IMAGE_URL };
    expect(fields({ model: 'kling-v2', ...images })).toEqual(['endImage']);
    expect(fields({ model: 'kling-v2.6', ...images })).toEqual(['endImage']);
    expect(fields({ model: 'kling-v2.6', mode: 'pro', ...images })).toEqual([]);
  });

  it('needs a start image for the image-only models', () => {
    expect(fields({ model: 'kling-v2.1' })).toEqual(['startImage']);
    expect(fields({ model: 'kling-v1.5' })).toEqual(['startImage']);
    expect(fields({ model: 'kling-v2.1', startImage: IMAGE_URL })).toEqual([]);
  });

  it('refuses an end frame combined with camera control', () => {
    expect(
      fields({
        model: 'kling-v1.5',
        mode: 'pro',
        startImage: IMAGE_URL,
        endImage: END_IMAGE_URL,
        cameraControl: { type: 'simple', config: { zoom: 2 } },
      }),
    ).toEqual(['cameraControl']);
  });

  it('refuses a negative prompt on kling-o1 (omni-video has no such field)', () => {
    expect(fields({ model: 'kling-o1', negativePrompt: 'blur' })).toEqual(['negativePrompt']);
  });

  it('has no pro mode for the single-tier master models', () => {
    expect(fields({ model: 'kling-v2', mode: 'pro' })).toEqual(['mode']);
  });

  it('takes 3–15 s on kling-v3 and 5 or 10 s elsewhere', () => {
    expect(fields({ model: 'kling-v3', duration: 15 })).toEqual([]);
    expect(fields({ model: 'kling-v2.6', duration: 15 })).toEqual(['duration']);
  });

  it('allows 2,500 prompt characters (the official limit)', () => {
    expect(fields({ prompt: 'x'.repeat(2500) })).toEqual([]);
    expect(fields({ prompt: 'x'.repeat(2501) })).toEqual(['prompt']);
  });

  it('declares what the workflow relies on', () => {
    expect(adapter.capabilities).toMatchObject({
      callbacks: true,
      callbackField: 'callback_url',
      idempotentSubmit: true,
      imageForms: ['url', 'base64'],
      priceUnit: 'base-units',
    });
    expect(adapter.findTask).toBeTypeOf('function');
    expect(KLING_OFFERS.every((offer) => offer.endpoint.startsWith('/v1/videos/'))).toBe(true);
  });
});

describe('official status and code tables', () => {
  const task = (task_status: string, extra: Partial<OfficialTask> = {}): OfficialTask => ({
    task_id: 't1',
    task_status,
    ...extra,
  });

  it.each([
    ['submitted', { state: 'queued' }],
    ['processing', { state: 'running' }],
    ['something-new', { state: 'running', detail: 'unknown task_status "something-new"' }],
  ] as const)('maps task_status %s', (status, expected) => {
    expect(officialTaskStatus('kling', task(status))).toEqual(expected);
  });

  it('maps succeed with a video and failed with its message', () => {
    expect(
      officialTaskStatus(
        'kling',
        task('succeed', {
          task_result: { videos: [{ url: 'https://v.example/a.mp4', duration: '5.1' }] },
        }),
      ),
    ).toEqual({
      state: 'succeeded',
      videos: [{ url: 'https://v.example/a.mp4', durationSeconds: 5.1 }],
    });
    expect(
      officialTaskStatus('kling', task('failed', { task_status_msg: 'sensitive content' })),
    ).toEqual({
      state: 'failed',
      reason: 'sensitive content',
      kind: 'content-rejected',
    });
  });

  it('does not end the task on a success without a video: it throws transient and is checked again', () => {
    let thrown: unknown;
    try {
      officialTaskStatus('kling', task('succeed'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProviderError);
    expect(thrown).toMatchObject({ kind: 'transient', provider: 'kling' });
  });

  it.each([
    [1000, 'provider-unavailable'],
    [1004, 'provider-unavailable'],
    [1101, 'provider-unavailable'],
    [1102, 'provider-unavailable'],
    [1103, 'provider-unavailable'],
    [1304, 'provider-unavailable'],
    [1203, 'invalid-request'],
    [1300, 'content-rejected'],
    [1302, 'transient'],
    [5002, 'transient'],
    [4242, undefined],
  ] as const)('classifies code %s as %s', (code, kind) => {
    expect(classifyOfficialCode(code)).toBe(kind);
  });
});

describe('kling price', () => {
  it('uses the OpenAI-HK multiplier model in base units for the models the seed prices', () => {
    for (const input of [
      { model: 'kling-v1', duration: 5 },
      { model: 'kling-v1.5', mode: 'pro', duration: 10, startImage: IMAGE_URL },
      { model: 'kling-v2', duration: 10 },
    ] as const) {
      const request = unified(input);
      expect(priceKling(request)).toEqual(priceOpenAiHk(request));
      expect(priceKling(request).unit).toBe('base-units');
    }
  });

  it('prices O1 from the seed sample: 4 units for a 5 s std task, pro ×4/3', () => {
    expect(priceKling(unified({ model: 'kling-o1', duration: 5 })).amount).toBe(4);
    expect(
      priceKling(unified({ model: 'kling-o1', duration: 10, mode: 'pro' })).amount,
    ).toBeCloseTo((8 * 4) / 3, 6);
  });

  it('doubles the price with sound', () => {
    const silent = priceKling(unified({ model: 'kling-v2.6', mode: 'pro' })).amount;
    const withSound = priceKling(unified({ model: 'kling-v2.6', mode: 'pro', sound: true })).amount;
    expect(withSound).toBe(silent * 2);
  });
});
