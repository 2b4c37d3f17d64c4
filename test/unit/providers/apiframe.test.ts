import { request as undiciRequest } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { createGuardedAgent } from '../../../src/http/guarded-agent.js';
import {
  createApiFrameProvider,
  readApiFrameJobTolerantly,
} from '../../../src/providers/apiframe.js';
import { APIFRAME_OFFERS, priceApiFrame } from '../../../src/providers/apiframe-catalog.js';
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
  APIFRAME_FAKE_API_KEY,
  apiFrameCreditsBody,
  apiFrameErrorBody,
  startApiFrameFake,
} from '../../../src/simulated/apiframe-fake.js';
import type { FakeProviderServer } from '../../../src/simulated/fake-server.js';
import { http, rejection, settled } from './provider-test-support.js';

// seeds/004 gives a request example only (no response samples).
const SEED_REQUEST_BODY = {
  prompt: 'a drone flyover of a tropical island with crystal clear water',
  model: 'kling-2.1',
  klingParams: { duration: 10, mode: 'pro', aspect_ratio: '16:9' },
};
// Not in the seed: APIFrame's docs (docs-v2.apiframe.ai/docs/jobs/get, apiframe.ai/docs/jobs/get)
// and its SDK's OpenAPI JobAccepted. Pasted as published, to pin the tolerant reader to them.
const DOCS_JOB_ACCEPTED = { jobId: 'job-x', status: 'QUEUED' };
const DOCS_QUEUED_JOB = {
  id: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
  status: 'QUEUED',
  model: 'midjourney',
  progress: 0,
  result: null,
  error: null,
  creditCost: 10,
  webhookStatus: null,
  createdAt: '2026-03-15T10:00:00.000Z',
  completedAt: null,
};
const DOCS_PROCESSING_JOB = { ...DOCS_QUEUED_JOB, status: 'PROCESSING', progress: 65 };
const DOCS_COMPLETED_JOB_STRING_RESULT = {
  ...DOCS_QUEUED_JOB,
  status: 'COMPLETED',
  progress: 100,
  result: 'https://cdn.apiframe.ai/results/a1b2c3d4.png',
  webhookStatus: 'sent',
  completedAt: '2026-03-15T10:00:32.000Z',
};
const DOCS_FAILED_JOB = {
  ...DOCS_QUEUED_JOB,
  status: 'FAILED',
  result: null,
  error: 'Provider returned an error: content policy violation',
  creditCost: 0,
  webhookStatus: 'sent',
  completedAt: '2026-03-15T10:00:05.000Z',
};

const IMAGE_URL = 'https://images.example/island.png';
const BLOB_REFERENCE = `blob:sha256:${'c'.repeat(64)}`;

const agent = http.dispatcher;

function unified(input: Partial<UnifiedRequestInput> = {}): UnifiedRequest {
  return unifiedRequestSchema.parse({ model: 'kling-v2.1', prompt: 'an island', ...input });
}

function imageResolver(): ImageResolver {
  return {
    asUrl: async (reference) =>
      reference.startsWith('http') ? reference : 'https://blobs.example/stored.png',
    asBase64: async () => 'aGVsbG8=',
    asDataUri: async () => 'data:image/png;base64,aGVsbG8=',
    asBytes: async () => ({
      bytes: new Uint8Array([1]),
      contentType: 'image/png',
      fileName: 'image.png',
    }),
  };
}

describe('APIFrame adapter against its fake', () => {
  let fake: FakeProviderServer;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    fake = await startApiFrameFake({ renderMs: 100 });
    adapter = createApiFrameProvider({
      apiKey: APIFRAME_FAKE_API_KEY,
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
    it('posts JSON to {base}/v2/videos/generate with the key in X-API-Key (no Bearer)', async () => {
      await adapter.submit(unified(), { images: imageResolver() });
      const sent = fake.requestsFor('submit').at(-1)!;
      expect(sent.method).toBe('POST');
      expect(sent.path).toBe('/v2/videos/generate');
      expect(sent.headers['x-api-key']).toBe(APIFRAME_FAKE_API_KEY);
      expect(sent.headers.authorization).toBeUndefined();
    });

    it('sends the seed example body for the same request (nested klingParams, duration 10 as a number)', async () => {
      await adapter.submit(
        unified({
          prompt: SEED_REQUEST_BODY.prompt,
          mode: 'pro',
          duration: 10,
          aspectRatio: '16:9',
        }),
        { images: imageResolver() },
      );
      expect(fake.requestsFor('submit').at(-1)!.json).toEqual(SEED_REQUEST_BODY);
    });

    it('always sends the mode: std as "standard" (the wire default would be pro)', async () => {
      await adapter.submit(unified({ mode: 'std' }), { images: imageResolver() });
      const body = fake.requestsFor('submit').at(-1)!.json as {
        klingParams: Record<string, unknown>;
      };
      expect(body.klingParams).toEqual({ duration: 5, mode: 'standard' });
    });

    it('puts images, negative prompt and cfg scale inside klingParams, images as URLs', async () => {
      await adapter.submit(
        unified({
          mode: 'pro',
          startImage: IMAGE_URL,
          endImage: BLOB_REFERENCE,
          negativePrompt: 'fog',
          cfgScale: 0.3,
        }),
        { images: imageResolver(), callbackUrl: 'https://hooks.example/af?token=t2' },
      );
      expect(fake.requestsFor('submit').at(-1)!.json).toEqual({
        prompt: 'an island',
        model: 'kling-2.1',
        klingParams: {
          duration: 5,
          mode: 'pro',
          start_image: IMAGE_URL,
          end_image: 'https://blobs.example/stored.png',
          negative_prompt: 'fog',
          cfg_scale: 0.3,
        },
        webhookUrl: 'https://hooks.example/af?token=t2',
      });
    });

    it('merges providerOptions.apiframe.klingParams into klingParams', async () => {
      await adapter.submit(
        unified({ providerOptions: { apiframe: { klingParams: { cfg_scale: 0.9 } } } }),
        { images: imageResolver() },
      );
      expect(fake.requestsFor('submit').at(-1)!.json).toMatchObject({
        klingParams: { mode: 'standard', cfg_scale: 0.9 },
      });
    });

    it('returns the jobId as the task id, in a handle without the key', async () => {
      const { taskId, handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(fake.tasks.has(taskId)).toBe(true);
      expect(handle).toEqual({ provider: 'apiframe', taskId });
    });

    it('sends the externalTaskId as Idempotency-Key, so a resent submit is billed once', async () => {
      const before = fake.submissions;
      const context = { images: imageResolver(), externalTaskId: 'wf-1/attempt-1' };
      const first = await adapter.submit(unified(), context);
      const second = await adapter.submit(unified(), context);
      expect(fake.requestsFor('submit').at(-1)!.headers['idempotency-key']).toBe('wf-1/attempt-1');
      expect(second.taskId).toBe(first.taskId);
      expect(fake.submissions).toBe(before + 1);
    });

    it('reports an idempotency key reused with another body as ambiguous (409)', async () => {
      const context = { images: imageResolver(), externalTaskId: 'wf-2/attempt-1' };
      await adapter.submit(unified({ prompt: 'first' }), context);
      const error = await rejection(adapter.submit(unified({ prompt: 'second' }), context));
      expect(error.httpStatus).toBe(409);
      expect(error.ambiguous).toBe(true);
    });
  });

  describe('the fake speaks the seed wire format', () => {
    async function post(body: unknown): Promise<{ status: number; json: unknown }> {
      const response = await undiciRequest(`${fake.baseUrl}/v2/videos/generate`, {
        method: 'POST',
        headers: { 'x-api-key': APIFRAME_FAKE_API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.statusCode, json: await response.body.json() };
    }

    it('accepts the seed example body with 202 {jobId, status: "QUEUED"}', async () => {
      const { status, json } = await post(SEED_REQUEST_BODY);
      expect(status).toBe(202);
      expect(json).toEqual({ jobId: expect.any(String), status: 'QUEUED' });
    });

    it('rejects a missing klingParams.mode and an unknown one with 400', async () => {
      const withoutMode = await post({ ...SEED_REQUEST_BODY, klingParams: { duration: 5 } });
      expect(withoutMode.status).toBe(400);
      const unknownMode = await post({
        ...SEED_REQUEST_BODY,
        klingParams: { duration: 5, mode: 'std' },
      });
      expect(unknownMode).toEqual({
        status: 400,
        json: apiFrameErrorBody('klingParams.mode: expected "standard" or "pro"'),
      });
    });

    it('rejects a string duration and flat (un-nested) parameters with 400', async () => {
      expect(
        (await post({ ...SEED_REQUEST_BODY, klingParams: { duration: '5', mode: 'pro' } })).status,
      ).toBe(400);
      expect(
        (await post({ prompt: 'x', model: 'kling-2.1', duration: 5, mode: 'pro' })).status,
      ).toBe(400);
    });
  });

  describe('status', () => {
    it('polls GET {base}/v2/jobs/:id through QUEUED/PROCESSING to COMPLETED, and the video downloads', async () => {
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      const first = await adapter.status(handle, {});
      expect(['queued', 'running']).toContain(first.state);
      const final = await settled(adapter, handle);
      const poll = fake.requestsFor('status').at(-1)!;
      expect(poll.path).toBe(`/v2/jobs/${handle.taskId}`);
      expect(poll.headers['x-api-key']).toBe(APIFRAME_FAKE_API_KEY);

      expect(final.state).toBe('succeeded');
      const url = (final as Extract<TaskStatus, { state: 'succeeded' }>).videos[0]!.url;
      const download = await undiciRequest(url, { dispatcher: agent });
      expect(download.statusCode).toBe(200);
      expect(Buffer.from(await download.body.arrayBuffer()).equals(fake.videoBuffer)).toBe(true);
    });

    it('reports a job FAILED for a content policy violation as content-rejected', async () => {
      fake.queueOutcome({
        type: 'fail',
        message: 'Provider returned an error: content policy violation',
      });
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(await settled(adapter, handle)).toEqual({
        state: 'failed',
        reason: 'Provider returned an error: content policy violation',
        kind: 'content-rejected',
      });
    });

    it('reports any other FAILED job as provider-unavailable', async () => {
      fake.queueOutcome({ type: 'fail', message: 'Provider returned 500' });
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(await settled(adapter, handle)).toMatchObject({
        state: 'failed',
        kind: 'provider-unavailable',
      });
    });

    it('treats a job that vanished (404) as a failed attempt: provider-unavailable', async () => {
      expect(await adapter.status({ provider: 'apiframe', taskId: 'missing' }, {})).toMatchObject({
        state: 'failed',
        kind: 'provider-unavailable',
      });
    });
  });

  describe('error classification', () => {
    it('classifies HTTP 500 as transient', async () => {
      fake.injectFault({
        route: 'submit',
        fault: { type: 'status', status: 500, body: apiFrameErrorBody('Internal error') },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.ambiguous).toBe(false);
    });

    it('classifies 429 as transient with retryAfterMs from Retry-After', async () => {
      fake.injectFault({
        route: 'submit',
        fault: {
          type: 'status',
          status: 429,
          body: apiFrameErrorBody('Too many requests'),
          headers: { 'retry-after': '12' },
        },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('transient');
      expect(error.retryAfterMs).toBe(12_000);
    });

    it('classifies a wrong key (401) as provider-unavailable', async () => {
      const wrong = createApiFrameProvider({ apiKey: 'wrong-key', baseUrl: fake.baseUrl, http });
      const error = await rejection(wrong.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.message).toContain('Invalid API key');
    });

    it('classifies 402 insufficient credits as provider-unavailable, with the credit figures', async () => {
      fake.injectFault({
        route: 'submit',
        fault: { type: 'status', status: 402, body: apiFrameCreditsBody(5, 2) },
        times: 1,
      });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.message).toContain('Insufficient credits (needs 5 credits, 2 available)');
    });

    it('classifies a 400 on create as invalid-request', async () => {
      const error = await rejection(
        adapter.submit(
          unified({ providerOptions: { apiframe: { klingParams: { mode: 'std' } } } }),
          {
            images: imageResolver(),
          },
        ),
      );
      expect(error.kind).toBe('invalid-request');
      expect(error.message).toContain('klingParams.mode');
    });

    it('classifies malformed JSON on a 2xx submit as transient and ambiguous', async () => {
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
      const impatient = createApiFrameProvider({
        apiKey: APIFRAME_FAKE_API_KEY,
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

    it('classifies a submit accepted and then cut off as ambiguous (the job exists)', async () => {
      const before = fake.submissions;
      fake.injectFault({ route: 'submit', fault: { type: 'accept-then-cut' }, times: 1 });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.ambiguous).toBe(true);
      expect(fake.submissions).toBe(before + 1);
    });

    it('classifies a 403 (inactive key) on a poll as provider-unavailable', async () => {
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      fake.injectFault({
        route: 'status',
        fault: { type: 'status', status: 403, body: apiFrameErrorBody('API key is inactive') },
        times: 1,
      });
      expect((await rejection(adapter.status(handle, {}))).kind).toBe('provider-unavailable');
    });
  });
});

describe('APIFrame tolerant job reader (documented outside the seed)', () => {
  it('reads the SDK JobAccepted body', () => {
    expect(readApiFrameJobTolerantly(DOCS_JOB_ACCEPTED)).toEqual({
      jobId: 'job-x',
      status: { state: 'queued' },
    });
  });

  it('reads the docs queued and processing jobs', () => {
    expect(readApiFrameJobTolerantly(DOCS_QUEUED_JOB).status).toEqual({ state: 'queued' });
    expect(readApiFrameJobTolerantly(DOCS_PROCESSING_JOB).status).toEqual({
      state: 'running',
      progress: 65,
    });
  });

  it('reads a completed job whose result is a bare URL', () => {
    expect(readApiFrameJobTolerantly(DOCS_COMPLETED_JOB_STRING_RESULT).status).toEqual({
      state: 'succeeded',
      videos: [{ url: 'https://cdn.apiframe.ai/results/a1b2c3d4.png' }],
    });
  });

  it.each([
    [{ videoUrl: 'https://cdn2.apiframe.ai/videos/a.mp4' }],
    [{ videos: ['https://cdn2.apiframe.ai/videos/a.mp4'] }],
    [{ videos: [{ url: 'https://cdn2.apiframe.ai/videos/a.mp4' }] }],
  ])('reads a completed job whose result is %j', (result) => {
    expect(
      readApiFrameJobTolerantly({ ...DOCS_COMPLETED_JOB_STRING_RESULT, result }).status,
    ).toEqual({ state: 'succeeded', videos: [{ url: 'https://cdn2.apiframe.ai/videos/a.mp4' }] });
  });

  it('reads the docs failed job (content policy) as content-rejected', () => {
    expect(readApiFrameJobTolerantly(DOCS_FAILED_JOB).status).toEqual({
      state: 'failed',
      reason: 'Provider returned an error: content policy violation',
      kind: 'content-rejected',
    });
  });

  it('reads CANCELLED as failed, and an unknown status as running', () => {
    expect(readApiFrameJobTolerantly({ id: 'j', status: 'CANCELLED' }).status.state).toBe('failed');
    expect(readApiFrameJobTolerantly({ id: 'j', status: 'UPSCALING' }).status.state).toBe(
      'running',
    );
  });

  it('does not invent a video when COMPLETED has no URL, nor end the job: it throws transient', () => {
    expect(() => readApiFrameJobTolerantly({ id: 'j', status: 'COMPLETED', result: null })).toThrow(
      expect.objectContaining({ kind: 'transient', provider: 'apiframe' }),
    );
  });
});

describe('APIFrame validation (check)', () => {
  const adapter = createApiFrameProvider({ apiKey: 'unused', http });

  function issueFields(input: Partial<UnifiedRequestInput>): string[] {
    return adapter.check(unified(input)).issues.map((issue) => issue.field);
  }

  it('rejects a duration outside 5 and 10', () => {
    expect(adapter.check(unified({ duration: 8 })).issues).toEqual([
      expect.objectContaining({ field: 'duration', allowed: [5, 10] }),
    ]);
  });

  it('rejects an end image in std mode (end_image is pro only)', () => {
    expect(adapter.check(unified({ startImage: IMAGE_URL, endImage: IMAGE_URL })).issues).toEqual([
      expect.objectContaining({ field: 'endImage', allowed: ['pro'] }),
    ]);
    expect(issueFields({ mode: 'pro', startImage: IMAGE_URL, endImage: IMAGE_URL })).toEqual([]);
  });

  it('rejects a prompt or negative prompt over 2,500 characters', () => {
    expect(issueFields({ prompt: 'x'.repeat(2501) })).toEqual(['prompt']);
    expect(issueFields({ negativePrompt: 'x'.repeat(2501) })).toEqual(['negativePrompt']);
  });

  it('rejects sound, camera control, and models other than kling-v2.1', () => {
    expect(issueFields({ sound: true })).toEqual(['sound']);
    expect(issueFields({ cameraControl: { type: 'down_back' } })).toEqual(['cameraControl']);
    expect(issueFields({ model: 'kling-v2.6' })).toEqual(['model']);
  });

  it('takes images as URLs only', () => {
    expect(adapter.capabilities.imageForms).toEqual(['url']);
    expect(APIFRAME_OFFERS).toHaveLength(1);
  });
});

describe('APIFrame prices (seeds/004 credit table)', () => {
  it.each([
    ['std', 5, 3],
    ['std', 10, 5],
    ['pro', 5, 5],
    ['pro', 10, 10],
  ] as const)('prices %s %i s at %i credits, with no USD rate', (mode, duration, credits) => {
    expect(priceApiFrame(unified({ mode, duration }))).toEqual({
      amount: credits,
      unit: 'credits',
    });
  });

  it('throws a ValidationError for a duration APIFrame does not price', () => {
    expect(() => priceApiFrame(unified({ duration: 7 }))).toThrow(ValidationError);
  });
});
