import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAi302Provider, readAi302TaskTolerantly } from '../../../src/providers/302ai.js';
import { AI302_OFFERS, priceAi302 } from '../../../src/providers/302ai-catalog.js';
import type { ImageResolver, ProviderAdapter } from '../../../src/providers/provider.js';
import {
  type UnifiedRequest,
  type UnifiedRequestInput,
  unifiedRequestSchema,
} from '../../../src/request/unified-request.js';
import {
  AI302_FAKE_API_KEY,
  ai302ErrorBody,
  startAi302Fake,
} from '../../../src/simulated/302ai-fake.js';
import type { FakeProviderServer } from '../../../src/simulated/fake-server.js';
import { http, rejection, settled } from './provider-test-support.js';

const IMAGE_URL = 'https://images.example/first-frame.png';
/** ASCII bytes, so the fake (which logs bodies as UTF-8 text) sees them unchanged. */
const IMAGE_BYTES = new TextEncoder().encode('fake-png-bytes');

const _agent = http.dispatcher;

function unified(input: Partial<UnifiedRequestInput> = {}): UnifiedRequest {
  return unifiedRequestSchema.parse({
    model: 'kling-v2.1',
    prompt: 'the cat turns its head',
    startImage: IMAGE_URL,
    ...input,
  });
}

function imageResolver(): ImageResolver {
  return {
    asUrl: async (reference) => reference,
    asBase64: async () => 'ZmFrZQ==',
    asDataUri: async () => 'data:image/png;base64,ZmFrZQ==',
    asBytes: async () => ({ bytes: IMAGE_BYTES, contentType: 'image/png', fileName: 'frame.png' }),
  };
}

/** The multipart body the fake received, parsed back into its parts. */
async function lastForm(fake: FakeProviderServer): Promise<FormData> {
  const sent = fake.requestsFor('submit').at(-1)!;
  return new Response(Buffer.from(sent.body, 'utf8'), {
    headers: { 'content-type': String(sent.headers['content-type']) },
  }).formData();
}

describe('302.AI adapter against its fake', () => {
  let fake: FakeProviderServer;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    fake = await startAi302Fake({ renderMs: 100 });
    adapter = createAi302Provider({ apiKey: AI302_FAKE_API_KEY, baseUrl: fake.baseUrl, http });
  });
  afterEach(() => {
    fake.clearFaults();
    fake.defaultOutcome = { type: 'succeed' };
  });
  afterAll(async () => {
    await fake.stop();
  });

  describe('submit wire format', () => {
    it.each([
      ['std', 5, '/klingai/m2v_21_img2video'],
      ['std', 10, '/klingai/m2v_21_img2video_10s'],
      ['pro', 5, '/klingai/m2v_21_img2video_hq'],
      ['pro', 10, '/klingai/m2v_21_img2video_hq_10s'],
    ] as const)('posts kling-v2.1 %s %s s to %s', async (mode, duration, path) => {
      const { taskId, handle } = await adapter.submit(unified({ mode, duration }), {
        images: imageResolver(),
      });
      const sent = fake.requestsFor('submit').at(-1)!;
      expect(sent.method).toBe('POST');
      expect(sent.path).toBe(path);
      expect(sent.headers.authorization).toBe(`Bearer ${AI302_FAKE_API_KEY}`);
      expect(handle).toEqual({ provider: '302ai', taskId, endpoint: 'image2video' });
    });

    it('sends multipart/form-data with the first frame as a file part named input_image', async () => {
      await adapter.submit(unified(), { images: imageResolver() });
      const sent = fake.requestsFor('submit').at(-1)!;
      expect(sent.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(sent.body).toMatch(/name="input_image"; filename="frame\.png"/);
      const image = (await lastForm(fake)).get('input_image');
      expect(image).toBeInstanceOf(Blob);
      expect((image as File).name).toBe('frame.png');
      expect((image as File).type).toBe('image/png');
      expect(await (image as File).text()).toBe('fake-png-bytes');
    });

    it('sends prompt, negative_prompt, cfg, aspect_ratio and enable_audio as text fields', async () => {
      await adapter.submit(
        unified({
          negativePrompt: 'blur',
          cfgScale: 0.5,
          aspectRatio: '9:16',
          sound: true,
        }),
        { images: imageResolver() },
      );
      const form = await lastForm(fake);
      expect(
        Object.fromEntries([...form.entries()].filter(([, value]) => typeof value === 'string')),
      ).toEqual({
        prompt: 'the cat turns its head',
        negative_prompt: 'blur',
        cfg: '0.5',
        aspect_ratio: '9:16',
        enable_audio: 'true',
      });
    });
  });

  describe('status (Fetch)', () => {
    it('fetches {base}/klingai/task/{id}/fetch?geo=global until the video is there', async () => {
      const { taskId, handle } = await adapter.submit(unified(), { images: imageResolver() });
      const status = await settled(adapter, handle);
      expect(fake.requestsFor('status').at(-1)!.path).toBe(
        `/klingai/task/${taskId}/fetch?geo=global`,
      );
      expect(status).toEqual({
        state: 'succeeded',
        videos: [{ url: `${fake.origin}/files/${taskId}.mp4` }],
      });
    });

    it('maps status 5 to queued and 10 to running', async () => {
      const { taskId, handle } = await adapter.submit(unified(), { images: imageResolver() });
      const task = fake.tasks.get(taskId)!;
      task.renderMs = 60_000;
      task.createdAt = Date.now() + 60_000;
      expect((await adapter.status(handle, {})).state).toBe('queued');
      task.createdAt = Date.now() - 1_000;
      expect((await adapter.status(handle, {})).state).toBe('running');
    });

    it('reports a moderation failure as content-rejected', async () => {
      fake.queueOutcome({ type: 'fail', message: 'image failed content review: sensitive' });
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(await settled(adapter, handle)).toEqual({
        state: 'failed',
        reason: 'image failed content review: sensitive',
        kind: 'content-rejected',
      });
    });

    it('reports a task 302.AI no longer knows as failed, provider-unavailable', async () => {
      const status = await adapter.status({ provider: '302ai', taskId: 'kling_gone' }, {});
      expect(status).toMatchObject({ state: 'failed', kind: 'provider-unavailable' });
    });
  });

  describe('errors', () => {
    it.each([
      [500, 'transient'],
      [402, 'provider-unavailable'],
      [401, 'provider-unavailable'],
      [400, 'invalid-request'],
    ] as const)('classifies HTTP %s on submit as %s', async (status, kind) => {
      fake.injectFault({
        route: 'submit',
        fault: { type: 'status', status, body: ai302ErrorBody(-10000, `injected ${status}`) },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe(kind);
      expect(error.ambiguous).toBe(false);
      expect(error.message).toContain(`injected ${status}`);
    });

    it('keeps Retry-After from a 429', async () => {
      fake.injectFault({
        route: 'submit',
        fault: { type: 'status', status: 429, headers: { 'retry-after': '2' } },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.retryAfterMs).toBe(2000);
    });

    it('refuses a wrong key (401) without echoing it', async () => {
      const wrong = createAi302Provider({ apiKey: 'wrong-302-key-1', baseUrl: fake.baseUrl, http });
      const error = await rejection(wrong.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.message).not.toContain('wrong-302-key-1');
    });

    it('treats malformed JSON to a submit as ambiguous', async () => {
      fake.injectFault({ route: 'submit', fault: { type: 'malformed-json' }, times: 1 });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.ambiguous).toBe(true);
    });

    it('treats an accepted-then-cut submit as ambiguous; 302.AI has no idempotency key', async () => {
      const before = fake.submissions;
      fake.injectFault({ route: 'submit', fault: { type: 'accept-then-cut' }, times: 1 });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.ambiguous).toBe(true);
      expect(fake.submissions).toBe(before + 1);
      expect(adapter.findTask).toBeUndefined();
    });
  });
});

describe('302.AI check', () => {
  const adapter = createAi302Provider({ apiKey: 'k', http });
  const fields = (input: Partial<UnifiedRequestInput>) =>
    adapter.check(unified(input)).issues.map((issue) => issue.field);

  it('needs a start image (input_image is required)', () => {
    expect(fields({ startImage: undefined })).toEqual(['startImage']);
  });

  it('sells only kling-v2.1, at 5 or 10 s, std (2.1) or pro (HD)', () => {
    expect(fields({})).toEqual([]);
    expect(fields({ mode: 'pro', duration: 10 })).toEqual([]);
    expect(fields({ model: 'kling-v1.6' })).toEqual(['model']);
    expect(fields({ duration: 8 })).toEqual(['duration']);
  });

  it('takes no end image and no camera control', () => {
    expect(fields({ endImage: IMAGE_URL })).toEqual(['endImage']);
    expect(fields({ cameraControl: { type: 'down_back' } })).toEqual(['cameraControl']);
  });

  it('declares multipart images, PTC prices and what is unverified', () => {
    expect(adapter.capabilities).toMatchObject({
      callbacks: false,
      idempotentSubmit: false,
      imageForms: ['multipart'],
      priceUnit: 'PTC',
      usdPerUnit: 1,
    });
    expect(adapter.capabilities.unverified?.length).toBeGreaterThan(0);
    expect(AI302_OFFERS.map((offer) => offer.endpoint)).toEqual([
      '/klingai/m2v_21_img2video',
      '/klingai/m2v_21_img2video_hq',
    ]);
  });
});

describe('302.AI prices (seed table, PTC per call)', () => {
  it.each([
    ['Image video 2.1-5 seconds', 'std', 5, 0.3],
    ['Image video 2.1-10 seconds', 'std', 10, 0.6],
    ['Image Video 2.1-HD-5 seconds', 'pro', 5, 0.5],
    ['Image Video 2.1-HD-10 seconds', 'pro', 10, 1],
  ] as const)('%s costs %s %s s = %s PTC', (_row, mode, duration, amount) => {
    expect(priceAi302(unified({ mode, duration }))).toEqual({ amount, unit: 'PTC', usd: amount });
  });

  it('Fetch is free: polling adds nothing to the price of a task', () => {
    // The price is per submit call; status() has no price of its own.
    expect(priceAi302(unified()).amount).toBe(0.3);
  });
});

describe('302.AI tolerant body reader', () => {
  it.each([
    [{ data: { task: { id: 'kling_1', status: 5 }, status: 5, works: [] } }, 'kling_1', 'queued'],
    [{ data: { task: { id: 42, status: 10 }, works: [] } }, '42', 'running'],
    [
      {
        data: {
          status: 99,
          task: { id: 'k' },
          works: [{ resource: { resource: 'https://v.example/a.mp4' } }],
        },
      },
      'k',
      'succeeded',
    ],
    [
      { data: { status: 99, taskWorks: [{ resource: { url: 'https://v.example/b.mp4' } }] } },
      undefined,
      'succeeded',
    ],
    [{ data: { status: 99, works: [] } }, undefined, 'running'],
    [{ data: { status: 50, task: { id: 'f', message: 'render error' } } }, 'f', 'failed'],
    [{ task_id: 't', status: 'processing' }, 't', 'running'],
  ] as const)('reads %j', (body, taskId, state) => {
    const read = readAi302TaskTolerantly(body);
    expect(read.taskId).toBe(taskId);
    expect(read.status.state).toBe(state);
  });

  it('takes the video URL from works[0].resource.resource', () => {
    expect(
      readAi302TaskTolerantly({
        data: { status: 99, works: [{ resource: { resource: 'https://v.example/a.mp4' } }] },
      }).status,
    ).toEqual({ state: 'succeeded', videos: [{ url: 'https://v.example/a.mp4' }] });
  });
});
