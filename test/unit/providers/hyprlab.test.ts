import { request as undiciRequest } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { createGuardedAgent } from '../../../src/http/guarded-agent.js';
import {
  createHyprLabProvider,
  hyprLabResultSchema,
  hyprLabSubmitResponseSchema,
  readHyprLabStatusTolerantly,
} from '../../../src/providers/hyprlab.js';
import { HYPRLAB_OFFERS, priceHyprLab } from '../../../src/providers/hyprlab-catalog.js';
import { isContentRejection } from '../../../src/providers/kit/content-rejection.js';
import type {
  ImageResolver,
  ProviderAdapter,
  TaskStatus,
} from '../../../src/providers/provider.js';
import {
  type UnifiedRequest,
  type UnifiedRequestInput,
  unifiedRequestSchema,
} from '../../../src/request/unified-request.js';
import type { FakeProviderServer } from '../../../src/simulated/fake-server.js';
import {
  HYPRLAB_FAKE_API_KEY,
  hyprLabErrorBody,
  startHyprLabFake,
} from '../../../src/simulated/hyprlab-fake.js';
import { http, rejection, settled } from './provider-test-support.js';

// Sample responses from seeds/000, verbatim.
const SEED_SUBMIT_RESPONSE = {
  created: 123,
  id: 'abc123',
  data: [{ url: 'https://api.hyprlab.io/v1/video/result/123-abc123' }],
};
const SEED_RESULT_RESPONSE = {
  created: 123,
  data: [{ url: 'https://pub-abc123.r2.dev/123-abc123.mp4' }],
};

const IMAGE_URL = 'https://images.example/cat.png';
const BLOB_REFERENCE = `blob:sha256:${'a'.repeat(64)}`;

const agent = http.dispatcher;

function unified(input: Partial<UnifiedRequestInput> = {}): UnifiedRequest {
  return unifiedRequestSchema.parse({ model: 'kling-v1.6', prompt: 'a cat in a garden', ...input });
}

function imageResolver(): ImageResolver {
  return {
    asUrl: async (reference) =>
      reference.startsWith('http') ? reference : 'https://blobs.example/image.png',
    asBase64: async () => 'aGVsbG8=',
    asDataUri: async () => 'data:image/png;base64,aGVsbG8=',
    asBytes: async () => ({
      bytes: new Uint8Array([1]),
      contentType: 'image/png',
      fileName: 'image.png',
    }),
  };
}

/** Polls the adapter until the task leaves queued/running (bounded by vi.waitFor's timeout). */

describe('HyprLab adapter against its fake', () => {
  let fake: FakeProviderServer;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    fake = await startHyprLabFake({ renderMs: 100 });
    adapter = createHyprLabProvider({ apiKey: HYPRLAB_FAKE_API_KEY, baseUrl: fake.baseUrl, http });
  });
  afterEach(() => {
    fake.clearFaults();
    fake.defaultOutcome = { type: 'succeed' };
  });
  afterAll(async () => {
    await fake.stop();
  });

  describe('submit wire format', () => {
    it('posts JSON to {base}/video/generations with the key as a Bearer token', async () => {
      await adapter.submit(unified(), { images: imageResolver() });
      const sent = fake.requestsFor('submit').at(-1)!;
      expect(sent.method).toBe('POST');
      expect(sent.path).toBe('/v1/video/generations');
      expect(sent.headers.authorization).toBe(`Bearer ${HYPRLAB_FAKE_API_KEY}`);
      expect(sent.headers['content-type']).toBe('application/json');
    });

    it('sends duration as the number 5, not the string "5"', async () => {
      await adapter.submit(unified({ duration: 5 }), { images: imageResolver() });
      const body = fake.requestsFor('submit').at(-1)!.json as Record<string, unknown>;
      expect(body.duration).toBe(5);
      expect(typeof body.duration).toBe('number');
    });

    it('sends the snake_case field names of the seed', async () => {
      await adapter.submit(
        unified({
          duration: 10,
          negativePrompt: 'blur',
          cfgScale: 0.7,
          aspectRatio: '9:16',
        }),
        { images: imageResolver() },
      );
      expect(fake.requestsFor('submit').at(-1)!.json).toEqual({
        model: 'kling-v1.6-standard',
        prompt: 'a cat in a garden',
        duration: 10,
        negative_prompt: 'blur',
        cfg_scale: 0.7,
        aspect_ratio: '9:16',
      });
    });

    it.each([
      ['kling-v1.6', 'std', 'kling-v1.6-standard'],
      ['kling-v1.6', 'pro', 'kling-v1.6-pro'],
      ['kling-v2', 'std', 'kling-v2'],
      ['kling-v2', 'pro', 'kling-v2'],
      ['kling-v2.1', 'std', 'kling-v2.1-standard'],
      ['kling-v2.1', 'pro', 'kling-v2.1-pro'],
      ['kling-v2.1-master', 'std', 'kling-v2.1-master'],
      ['kling-v2.1-master', 'pro', 'kling-v2.1-master'],
    ] as const)('maps %s in %s mode to the HyprLab model %s', async (model, mode, wireName) => {
      await adapter.submit(unified({ model, mode, startImage: IMAGE_URL }), {
        images: imageResolver(),
      });
      expect((fake.requestsFor('submit').at(-1)!.json as { model: string }).model).toBe(wireName);
    });

    it('drops aspect_ratio from the wire when a start image is given', async () => {
      await adapter.submit(unified({ aspectRatio: '1:1', startImage: IMAGE_URL }), {
        images: imageResolver(),
      });
      const body = fake.requestsFor('submit').at(-1)!.json as Record<string, unknown>;
      expect(body).not.toHaveProperty('aspect_ratio');
      expect(body.start_image).toBe(IMAGE_URL);
    });

    it('sends an http(s) image as its URL and a stored blob as a data URI', async () => {
      await adapter.submit(unified({ startImage: IMAGE_URL, endImage: BLOB_REFERENCE }), {
        images: imageResolver(),
      });
      const body = fake.requestsFor('submit').at(-1)!.json as Record<string, unknown>;
      expect(body.start_image).toBe(IMAGE_URL);
      expect(body.end_image).toBe('data:image/png;base64,aGVsbG8=');
    });

    it('merges providerOptions.hyprlab into the body as-is', async () => {
      await adapter.submit(unified({ providerOptions: { hyprlab: { seed: 42 } } }), {
        images: imageResolver(),
      });
      expect((fake.requestsFor('submit').at(-1)!.json as { seed: number }).seed).toBe(42);
    });

    it('returns a small handle with the task id and the polling URL, and no key', async () => {
      const { taskId, handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(handle).toEqual({
        provider: 'hyprlab',
        taskId,
        pollingUrl: `${fake.baseUrl}/video/result/${fake.tasks.get(taskId)!.meta.created}-${taskId}`,
      });
      expect(JSON.stringify(handle)).not.toContain(HYPRLAB_FAKE_API_KEY);
    });
  });

  describe('the fake speaks the seed wire format', () => {
    it('rejects a string duration with HTTP 400', async () => {
      const response = await undiciRequest(`${fake.baseUrl}/video/generations`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${HYPRLAB_FAKE_API_KEY}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model: 'kling-v2', prompt: 'x', duration: '5' }),
      });
      expect(response.statusCode).toBe(400);
      expect(await response.body.json()).toEqual(
        hyprLabErrorBody('duration must be an integer, either 5 or 10'),
      );
    });

    it('answers the submit with the seed sample shape', async () => {
      await adapter.submit(unified(), { images: imageResolver() });
      const task = [...fake.tasks.values()].at(-1)!;
      const response = await undiciRequest(`${fake.baseUrl}/video/generations`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${HYPRLAB_FAKE_API_KEY}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(task.request),
      });
      const body = (await response.body.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(Object.keys(SEED_SUBMIT_RESPONSE).sort());
      expect(hyprLabSubmitResponseSchema.safeParse(body).success).toBe(true);
    });
  });

  describe('status', () => {
    it('goes from queued or running to succeeded, and the video URL downloads', async () => {
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      const first = await adapter.status(handle, {});
      expect(['queued', 'running']).toContain(first.state);

      const final = await settled(adapter, handle);
      expect(final.state).toBe('succeeded');
      const url = (final as Extract<TaskStatus, { state: 'succeeded' }>).videos[0]!.url;
      expect(url).toBe(fake.videoUrl(fake.tasks.get(handle.taskId)!));
      const download = await undiciRequest(url, { dispatcher: agent });
      expect(download.statusCode).toBe(200);
      expect(Buffer.from(await download.body.arrayBuffer()).equals(fake.videoBuffer)).toBe(true);
      const poll = fake.requestsFor('status').at(-1)!;
      expect(poll.headers.authorization).toBe(`Bearer ${HYPRLAB_FAKE_API_KEY}`);
      expect(poll.path).toBe(new URL(handle.pollingUrl as string).pathname);
    });

    it('reports a task failed for moderation as content-rejected', async () => {
      fake.queueOutcome({ type: 'fail', message: 'Prompt flagged by content moderation' });
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(await settled(adapter, handle)).toEqual({
        state: 'failed',
        reason: 'Prompt flagged by content moderation',
        kind: 'content-rejected',
      });
    });

    it('reports any other failed task as provider-unavailable so the job fails over', async () => {
      fake.queueOutcome({ type: 'fail', message: 'Upstream render error' });
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(await settled(adapter, handle)).toMatchObject({
        state: 'failed',
        kind: 'provider-unavailable',
      });
    });

    it('treats a polling URL that answers 404 as a failed attempt (provider-unavailable)', async () => {
      const status = await adapter.status(
        { provider: 'hyprlab', taskId: 'gone', pollingUrl: `${fake.baseUrl}/video/result/1-gone` },
        {},
      );
      expect(status).toMatchObject({ state: 'failed', kind: 'provider-unavailable' });
    });

    it('never sends the key to a polling URL on another host', async () => {
      const before = fake.requests.length;
      const error = await rejection(
        adapter.status(
          { provider: 'hyprlab', taskId: 'x', pollingUrl: 'https://elsewhere.example/v1/r/1-x' },
          {},
        ),
      );
      expect(error.kind).toBe('provider-unavailable');
      expect(fake.requests.length).toBe(before);
    });
  });

  describe('error classification', () => {
    it('classifies HTTP 500 on submit as transient and not ambiguous', async () => {
      fake.injectFault({ route: 'submit', fault: { type: 'status', status: 500 }, times: 1 });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.ambiguous).toBe(false);
      expect(error.httpStatus).toBe(500);
    });

    it('classifies 429 as transient and carries Retry-After as retryAfterMs', async () => {
      fake.injectFault({
        route: 'submit',
        fault: {
          type: 'status',
          status: 429,
          body: hyprLabErrorBody('Rate limit reached', 'rate_limit_error'),
          headers: { 'retry-after': '7' },
        },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.retryAfterMs).toBe(7000);
      expect(error.message).toContain('Rate limit reached');
    });

    it('classifies a wrong key (401) as provider-unavailable without echoing the key', async () => {
      const wrongKey = 'hyprlab-wrong-key-123';
      const wrong = createHyprLabProvider({ apiKey: wrongKey, baseUrl: fake.baseUrl, http });
      const error = await rejection(wrong.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.httpStatus).toBe(401);
      expect(error.message).not.toContain(wrongKey);
    });

    it('redacts the key when the provider echoes it in an error body', async () => {
      fake.injectFault({
        route: 'submit',
        fault: {
          type: 'status',
          status: 401,
          body: hyprLabErrorBody(`Key ${HYPRLAB_FAKE_API_KEY} is not valid`),
        },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.message).not.toContain(HYPRLAB_FAKE_API_KEY);
    });

    it('classifies 402 credits exhausted as provider-unavailable', async () => {
      fake.injectFault({
        route: 'submit',
        fault: {
          type: 'status',
          status: 402,
          body: hyprLabErrorBody('credits exhausted', 'insufficient_quota'),
        },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.message).toContain('credits exhausted');
    });

    it('classifies a 400 from the create call as invalid-request', async () => {
      const error = await rejection(
        adapter.submit(unified({ providerOptions: { hyprlab: { duration: '5' } } }), {
          images: imageResolver(),
        }),
      );
      expect(error.kind).toBe('invalid-request');
      expect(error.httpStatus).toBe(400);
      expect(error.message).toContain('duration must be an integer');
    });

    it('classifies malformed JSON on a 200 submit as transient and ambiguous', async () => {
      fake.injectFault({ route: 'submit', fault: { type: 'malformed-json' }, times: 1 });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.ambiguous).toBe(true);
    });

    it('classifies malformed JSON on a poll as transient', async () => {
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      fake.injectFault({ route: 'status', fault: { type: 'malformed-json' }, times: 1 });
      const error = await rejection(adapter.status(handle, {}));
      expect(error.kind).toBe('transient');
    });

    it('classifies a hung submit as an ambiguous transient failure', async () => {
      const impatient = createHyprLabProvider({
        apiKey: HYPRLAB_FAKE_API_KEY,
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

    it('classifies a submit accepted and then cut off as ambiguous (the task exists)', async () => {
      const before = fake.submissions;
      fake.injectFault({ route: 'submit', fault: { type: 'accept-then-cut' }, times: 1 });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.ambiguous).toBe(true);
      expect(fake.submissions).toBe(before + 1);
    });

    it('classifies a 503 on a poll as transient', async () => {
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      fake.injectFault({ route: 'status', fault: { type: 'status', status: 503 }, times: 1 });
      expect((await rejection(adapter.status(handle, {}))).kind).toBe('transient');
    });
  });
});

describe('HyprLab response schemas', () => {
  it('parses the seed sample submit response', () => {
    expect(hyprLabSubmitResponseSchema.parse(SEED_SUBMIT_RESPONSE)).toEqual({
      created: 123,
      id: 'abc123',
      data: [{ url: 'https://api.hyprlab.io/v1/video/result/123-abc123' }],
    });
  });

  it('parses the seed sample poll response as succeeded with the mp4 URL', () => {
    expect(hyprLabResultSchema.safeParse(SEED_RESULT_RESPONSE).success).toBe(true);
    expect(
      readHyprLabStatusTolerantly(
        SEED_RESULT_RESPONSE,
        'https://api.hyprlab.io/v1/video/result/123-abc123',
      ),
    ).toEqual({
      state: 'succeeded',
      videos: [{ url: 'https://pub-abc123.r2.dev/123-abc123.mp4' }],
    });
  });

  it.each([
    [{ status: 'pending' }, 'queued'],
    [{ status: 'processing', message: 'Rendering' }, 'running'],
    [{ status: 'IN_PROGRESS', progress: 40 }, 'running'],
    [{ created: 123 }, 'running'],
    [{ status: 'failed', error: { message: 'boom' } }, 'failed'],
    [{ error: 'sensitive content detected' }, 'failed'],
    [{ status: 'completed', data: [{ url: 'https://cdn.example/v.mp4' }] }, 'succeeded'],
  ])('reads the undocumented body %j as %s', (body, state) => {
    expect(
      readHyprLabStatusTolerantly(body, 'https://api.hyprlab.io/v1/video/result/1-x').state,
    ).toBe(state);
  });

  it('does not mistake the polling URL echoed back for the video', () => {
    const pollingUrl = 'https://api.hyprlab.io/v1/video/result/123-abc123';
    expect(readHyprLabStatusTolerantly(SEED_SUBMIT_RESPONSE, pollingUrl).state).toBe('running');
  });
});

describe('HyprLab validation (check)', () => {
  const adapter = createHyprLabProvider({ apiKey: 'unused', http });

  function issueFields(input: Partial<UnifiedRequestInput>): string[] {
    return adapter.check(unified(input)).issues.map((issue) => issue.field);
  }

  it('rejects a duration outside 5 and 10', () => {
    const { issues } = adapter.check(unified({ duration: 7 }));
    expect(issues).toEqual([expect.objectContaining({ field: 'duration', allowed: [5, 10] })]);
  });

  it('rejects cfgScale on kling-v2.1 and kling-v2.1-master', () => {
    expect(issueFields({ model: 'kling-v2.1', cfgScale: 0.5, startImage: IMAGE_URL })).toEqual([
      'cfgScale',
    ]);
    expect(issueFields({ model: 'kling-v2.1-master', cfgScale: 0.5 })).toEqual(['cfgScale']);
  });

  it('rejects a prompt over 2,500 characters', () => {
    expect(issueFields({ prompt: 'x'.repeat(2501) })).toEqual(['prompt']);
    expect(issueFields({ prompt: 'x'.repeat(2500) })).toEqual([]);
  });

  it.each(['std', 'pro'] as const)('requires a start image on kling-v2.1 %s', (mode) => {
    expect(issueFields({ model: 'kling-v2.1', mode })).toEqual(['startImage']);
  });

  it('rejects an end image on kling-v2 (end_image is on 1.6 only)', () => {
    expect(issueFields({ model: 'kling-v2', startImage: IMAGE_URL, endImage: IMAGE_URL })).toEqual([
      'endImage',
    ]);
    expect(issueFields({ startImage: IMAGE_URL, endImage: IMAGE_URL })).toEqual([]);
  });

  it('drops the aspect ratio with a warning when a start image is given', () => {
    const result = adapter.check(unified({ aspectRatio: '16:9', startImage: IMAGE_URL }));
    expect(result.issues).toEqual([]);
    expect(result.warnings).toEqual([expect.stringContaining('aspectRatio is ignored')]);
  });

  it('rejects sound and camera control, which HyprLab does not offer', () => {
    expect(issueFields({ sound: true })).toEqual(['sound']);
    expect(issueFields({ cameraControl: { type: 'down_back' } })).toEqual(['cameraControl']);
  });

  it('rejects models HyprLab does not sell', () => {
    expect(issueFields({ model: 'kling-v2.6' })).toEqual(['model']);
  });

  it('lists every offer with the seed render time', () => {
    expect(HYPRLAB_OFFERS.map((offer) => offer.model)).toEqual([
      'kling-v1.6',
      'kling-v2',
      'kling-v2.1',
      'kling-v2.1-master',
    ]);
    expect(new Set(HYPRLAB_OFFERS.map((offer) => offer.typicalRenderSeconds))).toEqual(
      new Set([210]),
    );
  });
});

describe('HyprLab prices (seeds/000 price list, USD per video)', () => {
  it.each([
    ['kling-v2.1-master', 'std', 5, 1],
    ['kling-v2.1-master', 'std', 10, 2],
    ['kling-v2.1', 'pro', 5, 0.315],
    ['kling-v2.1', 'pro', 10, 0.63],
    ['kling-v2.1', 'std', 5, 0.175],
    ['kling-v2.1', 'std', 10, 0.35],
    ['kling-v2', 'std', 5, 1],
    ['kling-v2', 'std', 10, 2],
    ['kling-v1.6', 'pro', 5, 0.35],
    ['kling-v1.6', 'pro', 10, 0.7],
    ['kling-v1.6', 'std', 5, 0.2],
    ['kling-v1.6', 'std', 10, 0.4],
  ] as const)('prices %s %s %i s at $%d', (model, mode, duration, amount) => {
    expect(priceHyprLab(unified({ model, mode, duration, startImage: IMAGE_URL }))).toEqual({
      amount,
      unit: 'USD',
      usd: amount,
    });
  });

  it('prices the mode-less models the same in both modes', () => {
    expect(priceHyprLab(unified({ model: 'kling-v2', mode: 'pro' })).amount).toBe(1);
    expect(priceHyprLab(unified({ model: 'kling-v2.1-master', mode: 'pro' })).amount).toBe(1);
  });

  it('throws a ValidationError for a duration HyprLab does not price', () => {
    expect(() => priceHyprLab(unified({ duration: 7 }))).toThrow(ValidationError);
  });
});

describe('isContentRejection (shared by the adapters)', () => {
  it.each([
    'Content policy violation',
    'Prompt flagged by content moderation',
    'The image contains sensitive content',
    'Provider returned an error: content policy violation',
    'Failure to pass the risk control system',
    'NSFW content detected',
  ])('reads %j as refused content', (message) => {
    expect(isContentRejection(message)).toBe(true);
  });

  it.each(['Internal generation error', 'Provider returned 500', 'timeout', '', undefined])(
    'does not read %j as refused content',
    (message) => {
      expect(isContentRejection(message)).toBe(false);
    },
  );
});
