import { request as undiciRequest } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { createGuardedAgent } from '../../../src/http/guarded-agent.js';
import {
  apiModelsCreateResponseSchema,
  apiModelsTaskResponseSchema,
  createApiModelsProvider,
  toTaskStatus,
} from '../../../src/providers/apimodels.js';
import {
  APIMODELS_OFFERS,
  APIMODELS_V26_PRICES,
  priceApiModels,
} from '../../../src/providers/apimodels-catalog.js';
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
import {
  APIMODELS_FAKE_API_KEY,
  apiModelsErrorBody,
  startApiModelsFake,
} from '../../../src/simulated/apimodels-fake.js';
import type { FakeProviderServer } from '../../../src/simulated/fake-server.js';
import { http, rejection, settled } from './provider-test-support.js';

// Sample responses from seeds/003, verbatim.
const SEED_CREATE_RESPONSE = {
  code: 200,
  msg: 'success',
  data: { taskId: 'clxxx...', state: 'pending', model: 'kling-video/kling-v2-6' },
};
const SEED_SUCCESS_RESPONSE = {
  code: 200,
  msg: 'success',
  data: {
    taskId: 'clxxx...',
    state: 'completed',
    model: 'kling-video/kling-v2-6',
    resultUrls: ['https://...video.mp4'],
    createTime: 1705123450000,
    completeTime: 1705123500000,
  },
};
const SEED_FAILED_RESPONSE = {
  code: 200,
  msg: 'success',
  data: {
    taskId: 'clxxx...',
    state: 'failed',
    model: 'kling-video/kling-v2-6',
    failMsg: 'Content policy violation',
  },
};
// The seed's curl example body.
const SEED_REQUEST_BODY = {
  model: 'kling-v2-6',
  prompt: 'A girl dancing on the beach at sunset, cinematic lighting',
  mode: 'std',
  duration: '5',
  aspect_ratio: '16:9',
};

const IMAGE_URL = 'https://images.example/girl.png';
const BLOB_REFERENCE = `blob:sha256:${'b'.repeat(64)}`;

const agent = http.dispatcher;

function unified(input: Partial<UnifiedRequestInput> = {}): UnifiedRequest {
  return unifiedRequestSchema.parse({ model: 'kling-v2.6', prompt: 'a girl dancing', ...input });
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

describe('apimodels.app adapter against its fake', () => {
  let fake: FakeProviderServer;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    fake = await startApiModelsFake({ renderMs: 100 });
    adapter = createApiModelsProvider({
      apiKey: APIMODELS_FAKE_API_KEY,
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
    it('posts JSON to {base}/api/v1/video/generations with the key as a Bearer token', async () => {
      await adapter.submit(unified(), { images: imageResolver() });
      const sent = fake.requestsFor('submit').at(-1)!;
      expect(sent.method).toBe('POST');
      expect(sent.path).toBe('/api/v1/video/generations');
      expect(sent.headers.authorization).toBe(`Bearer ${APIMODELS_FAKE_API_KEY}`);
    });

    it('sends duration as the string "5", not the number 5', async () => {
      await adapter.submit(unified({ duration: 5 }), { images: imageResolver() });
      const body = fake.requestsFor('submit').at(-1)!.json as Record<string, unknown>;
      expect(body.duration).toBe('5');
    });

    it('sends the seed curl example body for the same request', async () => {
      await adapter.submit(
        unified({
          prompt: SEED_REQUEST_BODY.prompt,
          mode: 'std',
          duration: 5,
          aspectRatio: '16:9',
        }),
        { images: imageResolver() },
      );
      expect(fake.requestsFor('submit').at(-1)!.json).toEqual(SEED_REQUEST_BODY);
    });

    it('sends kling-v3 with a 12 s string duration, sound "on" and every optional field', async () => {
      await adapter.submit(
        unified({
          model: 'kling-v3',
          mode: 'pro',
          duration: 12,
          sound: true,
          negativePrompt: 'blur',
          cfgScale: 0.4,
          cameraControl: { type: 'simple', config: { zoom: 5 } },
        }),
        { images: imageResolver(), callbackUrl: 'https://hooks.example/cb?token=t1' },
      );
      expect(fake.requestsFor('submit').at(-1)!.json).toEqual({
        model: 'kling-v3',
        prompt: 'a girl dancing',
        mode: 'pro',
        duration: '12',
        sound: 'on',
        negative_prompt: 'blur',
        cfg_scale: 0.4,
        camera_control: { type: 'simple', config: { zoom: 5 } },
        callback_url: 'https://hooks.example/cb?token=t1',
      });
    });

    it('sends the shots as multi_prompt, and their prompts as the text-to-video prompt when none is given', async () => {
      const shots = [
        { prompt: 'a wide street', duration: 3 },
        { prompt: 'a close-up', duration: 2 },
      ];
      const { taskId } = await adapter.submit(
        unified({ model: 'kling-v3', prompt: undefined, duration: 5, shots }),
        { images: imageResolver() },
      );
      expect(taskId).toBeTruthy();
      expect(fake.requestsFor('submit').at(-1)!.json).toMatchObject({
        prompt: 'a wide street / a close-up',
        multi_shot: true,
        multi_prompt: [
          { index: 1, prompt: 'a wide street', duration: '3' },
          { index: 2, prompt: 'a close-up', duration: '2' },
        ],
      });
    });

    it('sends sound "off" when sound is false, and nothing when it is not set', async () => {
      await adapter.submit(unified({ sound: false }), { images: imageResolver() });
      expect((fake.requestsFor('submit').at(-1)!.json as { sound: string }).sound).toBe('off');
      await adapter.submit(unified(), { images: imageResolver() });
      expect(fake.requestsFor('submit').at(-1)!.json).not.toHaveProperty('sound');
    });

    it('switches to image-to-video with image (URL as-is) and image_tail (blob as base64)', async () => {
      await adapter.submit(
        unified({ mode: 'pro', startImage: IMAGE_URL, endImage: BLOB_REFERENCE }),
        { images: imageResolver() },
      );
      const body = fake.requestsFor('submit').at(-1)!.json as Record<string, unknown>;
      expect(body.image).toBe(IMAGE_URL);
      expect(body.image_tail).toBe('aGVsbG8=');
    });

    it('passes providerOptions.apimodels.voice_list through as-is', async () => {
      await adapter.submit(
        unified({
          mode: 'pro',
          sound: true,
          providerOptions: { apimodels: { voice_list: ['voice-a'] } },
        }),
        { images: imageResolver() },
      );
      expect(fake.requestsFor('submit').at(-1)!.json).toMatchObject({
        sound: 'on',
        voice_list: ['voice-a'],
      });
    });

    it('returns a handle with only the provider and the task id', async () => {
      const { taskId, handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(taskId).toMatch(/^cl/);
      expect(handle).toEqual({ provider: 'apimodels', taskId });
    });
  });

  describe('the fake speaks the seed wire format', () => {
    it('rejects a numeric duration with HTTP 400', async () => {
      const response = await undiciRequest(`${fake.baseUrl}/api/v1/video/generations`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${APIMODELS_FAKE_API_KEY}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ ...SEED_REQUEST_BODY, duration: 5 }),
      });
      expect(response.statusCode).toBe(400);
      expect(await response.body.json()).toEqual(
        apiModelsErrorBody(400, 'duration must be a string, e.g. "5"'),
      );
    });

    it('answers the seed request with the seed create response shape', async () => {
      const response = await undiciRequest(`${fake.baseUrl}/api/v1/video/generations`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${APIMODELS_FAKE_API_KEY}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(SEED_REQUEST_BODY),
      });
      const body = (await response.body.json()) as typeof SEED_CREATE_RESPONSE;
      expect({ ...body, data: { ...body.data, taskId: 'clxxx...' } }).toEqual(SEED_CREATE_RESPONSE);
    });
  });

  describe('status', () => {
    it('polls GET {base}/api/v1/video/generations?task_id=… and maps pending/processing/completed', async () => {
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      const seen = new Set<string>();
      const final = await vi.waitFor(
        async () => {
          const status = await adapter.status(handle, {});
          seen.add(status.state);
          if (status.state !== 'succeeded') throw new Error(status.state);
          return status;
        },
        { timeout: 5000, interval: 10 },
      );
      expect(seen.has('running')).toBe(true);
      const poll = fake.requestsFor('status').at(-1)!;
      expect(poll.path).toBe(`/api/v1/video/generations?task_id=${handle.taskId}`);
      expect(poll.headers.authorization).toBe(`Bearer ${APIMODELS_FAKE_API_KEY}`);

      const url = (final as Extract<TaskStatus, { state: 'succeeded' }>).videos[0]!.url;
      const download = await undiciRequest(url, { dispatcher: agent });
      expect(download.statusCode).toBe(200);
      expect(Buffer.from(await download.body.arrayBuffer()).equals(fake.videoBuffer)).toBe(true);
    });

    it('reads a fresh task as queued (state "pending")', async () => {
      const slow = await startApiModelsFake({ renderMs: 60_000 });
      try {
        const slowAdapter = createApiModelsProvider({
          apiKey: APIMODELS_FAKE_API_KEY,
          baseUrl: slow.baseUrl,
          http,
        });
        const { handle } = await slowAdapter.submit(unified(), { images: imageResolver() });
        expect(await slowAdapter.status(handle, {})).toEqual({ state: 'queued' });
      } finally {
        await slow.stop();
      }
    });

    it('reports a failed task with a content policy failMsg as content-rejected', async () => {
      fake.queueOutcome({ type: 'fail', message: 'Content policy violation' });
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(await settled(adapter, handle)).toEqual({
        state: 'failed',
        reason: 'Content policy violation',
        kind: 'content-rejected',
      });
    });

    it('reports any other failed task as provider-unavailable', async () => {
      fake.queueOutcome({ type: 'fail', message: 'Internal generation error' });
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(await settled(adapter, handle)).toMatchObject({
        state: 'failed',
        kind: 'provider-unavailable',
      });
    });

    it('treats a task that vanished (404) as a failed attempt: provider-unavailable', async () => {
      expect(
        await adapter.status({ provider: 'apimodels', taskId: 'cl-missing' }, {}),
      ).toMatchObject({ state: 'failed', kind: 'provider-unavailable' });
    });
  });

  describe('error classification', () => {
    it('classifies HTTP 500 as transient', async () => {
      fake.injectFault({
        route: 'submit',
        fault: {
          type: 'status',
          status: 500,
          body: apiModelsErrorBody(500, 'Internal Server Error'),
        },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.ambiguous).toBe(false);
    });

    it('classifies 429 as transient with retryAfterMs from Retry-After', async () => {
      fake.injectFault({
        route: 'submit',
        fault: { type: 'status', status: 429, headers: { 'retry-after': '3' } },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.retryAfterMs).toBe(3000);
    });

    it('classifies a wrong key (401) as provider-unavailable', async () => {
      const wrong = createApiModelsProvider({ apiKey: 'not-the-key', baseUrl: fake.baseUrl, http });
      const error = await rejection(wrong.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.httpStatus).toBe(401);
      expect(error.message).not.toContain('not-the-key');
    });

    it('classifies 402 insufficient credits as provider-unavailable', async () => {
      fake.injectFault({
        route: 'submit',
        fault: { type: 'status', status: 402, body: apiModelsErrorBody(402, 'credits exhausted') },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.message).toContain('credits exhausted');
    });

    it('classifies a 200 whose envelope says code 402 as provider-unavailable too', async () => {
      fake.injectFault({
        route: 'submit',
        fault: {
          type: 'status',
          status: 200,
          body: apiModelsErrorBody(402, 'Insufficient credits'),
        },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.providerCode).toBe(402);
    });

    it('classifies a 400 on create as invalid-request, with the provider message', async () => {
      const error = await rejection(
        adapter.submit(unified({ providerOptions: { apimodels: { duration: 5 } } }), {
          images: imageResolver(),
        }),
      );
      expect(error.kind).toBe('invalid-request');
      expect(error.message).toContain('duration must be a string');
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
      expect((await rejection(adapter.status(handle, {}))).kind).toBe('transient');
    });

    it('classifies a hung submit as an ambiguous transient failure', async () => {
      const impatient = createApiModelsProvider({
        apiKey: APIMODELS_FAKE_API_KEY,
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
      expect(error.ambiguous).toBe(true);
      expect(fake.submissions).toBe(before + 1);
    });

    it('classifies a 401 on a poll as provider-unavailable', async () => {
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      fake.injectFault({
        route: 'status',
        fault: { type: 'status', status: 401, body: apiModelsErrorBody(401, 'Unauthorized') },
        times: 1,
      });
      expect((await rejection(adapter.status(handle, {}))).kind).toBe('provider-unavailable');
    });
  });
});

describe('apimodels.app response schemas', () => {
  it('parses the seed create response', () => {
    expect(apiModelsCreateResponseSchema.parse(SEED_CREATE_RESPONSE).data.taskId).toBe('clxxx...');
  });

  it('parses the seed success response as succeeded with its resultUrls', () => {
    const parsed = apiModelsTaskResponseSchema.parse(SEED_SUCCESS_RESPONSE);
    expect(toTaskStatus(parsed.data)).toEqual({
      state: 'succeeded',
      videos: [{ url: 'https://...video.mp4' }],
    });
  });

  it('parses the seed failed response as content-rejected ("Content policy violation")', () => {
    const parsed = apiModelsTaskResponseSchema.parse(SEED_FAILED_RESPONSE);
    expect(toTaskStatus(parsed.data)).toEqual({
      state: 'failed',
      reason: 'Content policy violation',
      kind: 'content-rejected',
    });
  });

  it.each([
    ['pending', 'queued'],
    ['processing', 'running'],
    ['some-new-state', 'running'],
  ])('maps state %s to %s', (state, expected) => {
    expect(toTaskStatus({ taskId: 't', state }).state).toBe(expected);
  });
});

describe('apimodels.app validation (check)', () => {
  const adapter = createApiModelsProvider({ apiKey: 'unused', http });

  function issueFields(input: Partial<UnifiedRequestInput>): string[] {
    return adapter.check(unified(input)).issues.map((issue) => issue.field);
  }

  it('rejects a duration outside 5 and 10 on kling-v2.6', () => {
    expect(adapter.check(unified({ duration: 8 })).issues).toEqual([
      expect.objectContaining({ field: 'duration', allowed: [5, 10] }),
    ]);
  });

  it('accepts 3 to 15 s on kling-v3 and rejects 2 and 16', () => {
    expect(issueFields({ model: 'kling-v3', duration: 3 })).toEqual([]);
    expect(issueFields({ model: 'kling-v3', duration: 15 })).toEqual([]);
    expect(issueFields({ model: 'kling-v3', duration: 2 })).toEqual(['duration']);
    expect(issueFields({ model: 'kling-v3', duration: 16 })).toEqual(['duration']);
  });

  it('rejects sound in std mode on kling-v2.6 (audio is pro-only there)', () => {
    expect(adapter.check(unified({ sound: true })).issues).toEqual([
      expect.objectContaining({ field: 'sound', allowed: ['pro'] }),
    ]);
    expect(issueFields({ sound: true, mode: 'pro' })).toEqual([]);
    expect(issueFields({ model: 'kling-v3', sound: true })).toEqual([]);
  });

  it('rejects sound on a model apimodels does not sell', () => {
    expect(issueFields({ model: 'kling-v2.1', sound: true })).toEqual(['model']);
  });

  it('rejects a prompt or negative prompt over 2,500 characters', () => {
    expect(issueFields({ prompt: 'x'.repeat(2501) })).toEqual(['prompt']);
    expect(issueFields({ negativePrompt: 'x'.repeat(2501) })).toEqual(['negativePrompt']);
  });

  it('rejects an end image in std mode on kling-v2.6', () => {
    expect(issueFields({ startImage: IMAGE_URL, endImage: IMAGE_URL })).toEqual(['endImage']);
    expect(issueFields({ mode: 'pro', startImage: IMAGE_URL, endImage: IMAGE_URL })).toEqual([]);
  });

  it('rejects a voice_list without sound, or with more than two voices', () => {
    expect(
      issueFields({ mode: 'pro', providerOptions: { apimodels: { voice_list: ['a'] } } }),
    ).toEqual(['providerOptions.apimodels.voice_list']);
    expect(
      issueFields({
        mode: 'pro',
        sound: true,
        providerOptions: { apimodels: { voice_list: ['a', 'b', 'c'] } },
      }),
    ).toEqual(['providerOptions.apimodels.voice_list']);
  });

  it('offers kling-v2.6, kling-v3 and kling-motion-control, as the seed lists them', () => {
    expect(APIMODELS_OFFERS.map((offer) => offer.providerModel)).toEqual([
      'kling-v2-6',
      'kling-v3',
      'kling-motion-control',
    ]);
  });
});

describe('apimodels.app prices (seeds/003, USD)', () => {
  it.each([
    ['std', 5, false, false, 0.0159],
    ['std', 10, false, false, 0.032],
    ['pro', 5, false, false, 0.0267],
    ['pro', 10, false, false, 0.0531],
    ['pro', 5, true, false, 0.0531],
    ['pro', 10, true, false, 0.1064],
    ['pro', 5, true, true, 0.0639],
    ['pro', 10, true, true, 0.1275],
  ] as const)(
    'prices kling-v2.6 %s %i s audio=%s voice=%s at $%d',
    (mode, duration, audio, voice, usd) => {
      const request = unified({
        mode,
        duration,
        ...(audio ? { sound: true } : {}),
        ...(voice ? { providerOptions: { apimodels: { voice_list: ['voice-a'] } } } : {}),
      });
      expect(priceApiModels(request)).toEqual({ amount: usd, unit: 'USD', usd });
    },
  );

  it('has exactly the eight rows of the seed table', () => {
    expect(APIMODELS_V26_PRICES).toHaveLength(8);
  });

  it.each([
    ['std', false, 0.0633],
    ['std', true, 0.0956],
    ['pro', false, 0.0853],
    ['pro', true, 0.128],
  ] as const)('prices kling-v3 %s audio=%s at $%d per second', (mode, audio, rate) => {
    for (const duration of [3, 7, 15]) {
      const price = priceApiModels(
        unified({ model: 'kling-v3', mode, duration, ...(audio ? { sound: true } : {}) }),
      );
      expect(price.amount).toBe(Math.round(rate * duration * 10_000) / 10_000);
      expect(price.unit).toBe('USD');
    }
  });

  it('rounds per-second prices to four decimals (0.0633 × 7 = 0.4431)', () => {
    expect(priceApiModels(unified({ model: 'kling-v3', duration: 7 })).amount).toBe(0.4431);
  });

  it('throws a ValidationError for std with sound on kling-v2.6 (no such row)', () => {
    expect(() => priceApiModels(unified({ sound: true }))).toThrow(ValidationError);
  });
});
