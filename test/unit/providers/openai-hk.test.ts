import { request as undiciRequest } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedAgent } from '../../../src/http/guarded-agent.js';
import {
  officialCreateResponseSchema,
  officialEnvelopeSchema,
  officialQueryResponseSchema,
  officialTaskStatus,
} from '../../../src/providers/official-wire.js';
import { createOpenAiHkProvider } from '../../../src/providers/openai-hk.js';
import {
  baseUnitPrice,
  OPENAI_HK_OFFERS,
  omniCredits,
  priceOpenAiHk,
} from '../../../src/providers/openai-hk-catalog.js';
import type { ImageResolver, ProviderAdapter } from '../../../src/providers/provider.js';
import {
  type UnifiedRequest,
  type UnifiedRequestInput,
  unifiedRequestSchema,
} from '../../../src/request/unified-request.js';
import type { FakeProviderServer } from '../../../src/simulated/fake-server.js';
import { officialFault } from '../../../src/simulated/official-format-fake.js';
import {
  OPENAI_HK_FAKE_API_KEY,
  startOpenAiHkFake,
} from '../../../src/simulated/openai-hk-fake.js';
import { http, rejection, settled } from './provider-test-support.js';

// ---------------------------------------------------------------------------------------------
// Sample responses from seeds/001, verbatim (the "成功" message is mis-decoded in the seed and
// kept as it is there).

const SEED_IMAGE_CREATE_RESPONSE = {
  code: 0,
  message: 'ๆๅ',
  request_id: 'Cl6Mq2bftxoAAAAAAA_SxQ',
  data: {
    task_id: 'Cl6Mq2bftxoAAAAAAA_SxQ',
    task_status: 'submitted',
    created_at: 1725974776706,
    updated_at: 1725974776706,
  },
};
// The text2video and image2video create responses in the seed are the same document.
const SEED_VIDEO_CREATE_RESPONSE = SEED_IMAGE_CREATE_RESPONSE;

const SEED_IMAGE_QUERY_RESPONSE = {
  code: 0,
  message: 'ๆๅ',
  request_id: 'Clo_MGbfunoAAAAAABB5XA',
  data: {
    task_id: 'Clo_MGbfunoAAAAAABB5XA',
    task_status: 'succeed',
    task_status_msg: '',
    created_at: 1725977118293,
    updated_at: 1725977125849,
    task_result: {
      images: [
        {
          index: 0,
          url: 'https://cdn.klingai.com/bs2/upload-kling-api/9575341070/image/Clo_MGbfunoAAAAAABB5XA-0_raw_image_0.png',
        },
      ],
      videos: null,
    },
  },
};

const SEED_VIDEO_QUERY_RESPONSE = {
  code: 0,
  message: 'ๆๅ',
  request_id: 'CmZ4r2bfunIAAAAAABDEJw',
  data: {
    task_id: 'CmZ4r2bfunIAAAAAABDEJw',
    task_status: 'succeed',
    task_status_msg: '',
    created_at: 1725977783786,
    updated_at: 1725978074639,
    task_result: {
      images: null,
      videos: [
        {
          id: 'cb6a5273-e12b-4731-98e7-c6fd45302027',
          url: 'https://cdn.klingai.com/bs2/upload-kling-api/9575341070/text2video/CmZ4r2bfunIAAAAAABDEJw-0_raw_video_1.mp4',
          duration: '5.1',
        },
      ],
    },
  },
};

const SEED_OMNI_CREATE_RESPONSE = {
  code: 0,
  message: 'SUCCEED',
  request_id: '8363283e-bcfb-4057-ad42-8717d9b2ea53',
  data: {
    task_id: '847130448077000794',
    task_status: 'submitted',
    updated_at: 1770000156527,
  },
};

const SEED_OMNI_QUERY_RESPONSE = {
  code: 0,
  data: {
    created_at: 1770000156527,
    final_unit_deduction: '4',
    task_id: '847130448077000794',
    task_info: {},
    task_result: {
      videos: [
        {
          duration: '5.041',
          id: '847130448194441245',
          url: 'https://v1-fdl.kechuangai.com/ksc2/F8mGkPgRjiK-INld7fvcJ_n8cwV_RjzxpIpm3m5kfwXLKQ4cn67WRMeyQMfuifV4rDNFjPX1PH5rbEoTfez0ddZv4m9sTur4snzKvXctXEOP0YARviRTHGsZhv-FNN5f30bHvU2VueI0lTdW1j5h512RFVZ4Q431efx9g8QLeyedlPXk5-5NpZO8AGsXomErm8gntYIM0Xp_B-bdcOA_OA.mp4?cacheKey=ChtzZWN1cml0eS5rbGluZy5tZXRhX2VuY3J5cHQSsAFB5FBBP68KklQlUWwwNC2TY0QQDjQPuwEes_26pzj-PNlcCxiEgPN1eNF8MSOOuZfqozg2ctZkzSvCC-at3XF-oyAPYMoTqs_X2s260Mqs76wb3HBAXh7pmlEKjvFrXNBqUT2vkF067ZoUFVO8lrJP5jy1HMUngVqrKN3CBZVG9VstNCOV_EIpRnCBM4NaCgVy-m7B7lh7egg6MtB8NUMi6z6AlTLcRWDPHp4dYUdu-hoSxWNjcgh9zqt_zDfpYBGATs3tIiA61EFyWCk9ny8N_13chrXWqfMvlGRP-k9eAJkMUL4bHCgFMAE&x-kcdn-pid=112757&pkey=AAVMKTXi-QYUPSnB1Zz5tHF-RbwKZxy6eEAgu_w2II3u3xxMy-3Ul-ai0XWtq-Ea0zAbT_E66gRxCxSBsKW2ct33_uHIzyE_bEAujw0dTnzN54WxGNA7aY18vYuWs1vwg6w',
        },
      ],
    },
    task_status: 'succeed',
    task_status_msg: '',
    updated_at: 1770000219604,
  },
  message: 'SUCCEED',
  request_id: '3a856e3c-7f79-45cf-a97a-a73630712883',
};

/**
 * The seed's text2video "full format" request, without its inline comments. Its Chinese prompt
 * is mis-decoded in the seed (lossily); the readable start, 太空…, is completed here.
 */
const SEED_TEXT2VIDEO_REQUEST = {
  model_name: 'kling-v1',
  prompt: '太空飞船在航行',
  negative_prompt: '',
  cfg_scale: 0,
  mode: 'std',
  aspect_ratio: '1:1',
  duration: '5',
  camera_control: { type: 'simple', config: { horizontal: 1 } },
  notify_hook: '',
};

/** The seed's omni-video request (its duration is the number 5; prompt restored as above). */
const SEED_OMNI_REQUEST = {
  prompt: '大雪纷飞',
  model_name: 'kling-video-o1',
  duration: 5,
  mode: 'std',
  aspect_ratio: '16:9',
  notify_hook: 'https://pdf2.openai-hk.com/test/2024/mqrunway',
};

// ---------------------------------------------------------------------------------------------

const IMAGE_URL = 'https://images.example/cat.png';
const BLOB_REFERENCE = `blob:sha256:${'b'.repeat(64)}`;
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

describe('OpenAI-HK seed samples', () => {
  it.each([
    ['image create', SEED_IMAGE_CREATE_RESPONSE],
    ['text2video / image2video create', SEED_VIDEO_CREATE_RESPONSE],
    ['omni-video create', SEED_OMNI_CREATE_RESPONSE],
  ])('the %s response parses as a create response', (_name, sample) => {
    const parsed = officialCreateResponseSchema.parse(sample);
    expect(parsed.data.task_status).toBe('submitted');
    expect(parsed.data.task_id).toBe(sample.data.task_id);
  });

  it.each([
    ['image query', SEED_IMAGE_QUERY_RESPONSE],
    ['text2video query', SEED_VIDEO_QUERY_RESPONSE],
    ['omni-video query', SEED_OMNI_QUERY_RESPONSE],
  ])('the %s response parses as a query response', (_name, sample) => {
    expect(officialEnvelopeSchema.parse(sample).code).toBe(0);
    expect(officialQueryResponseSchema.parse(sample).data.task_status).toBe('succeed');
  });

  it('reads the video URL and duration out of the text2video query sample', () => {
    const task = officialQueryResponseSchema.parse(SEED_VIDEO_QUERY_RESPONSE).data;
    expect(officialTaskStatus('openai-hk', task)).toEqual({
      state: 'succeeded',
      videos: [
        {
          url: 'https://cdn.klingai.com/bs2/upload-kling-api/9575341070/text2video/CmZ4r2bfunIAAAAAABDEJw-0_raw_video_1.mp4',
          durationSeconds: 5.1,
        },
      ],
    });
  });

  it('reads the omni-video query sample as succeeded with its video', () => {
    const task = officialQueryResponseSchema.parse(SEED_OMNI_QUERY_RESPONSE).data;
    const status = officialTaskStatus('openai-hk', task);
    expect(status).toMatchObject({ state: 'succeeded', videos: [{ durationSeconds: 5.041 }] });
  });
});

describe('OpenAI-HK adapter against its fake', () => {
  let fake: FakeProviderServer;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    fake = await startOpenAiHkFake({ renderMs: 100 });
    adapter = createOpenAiHkProvider({
      apiKey: OPENAI_HK_FAKE_API_KEY,
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

  function lastSubmit() {
    return fake.requestsFor('submit').at(-1)!;
  }

  describe('submit wire format', () => {
    it('posts to {base}/v1/videos/text2video under /kling with the key as a Bearer token', async () => {
      expect(fake.baseUrl).toMatch(/\/kling$/);
      await adapter.submit(unified(), { images: imageResolver() });
      expect(lastSubmit().path).toBe('/kling/v1/videos/text2video');
      expect(lastSubmit().headers.authorization).toBe(`Bearer ${OPENAI_HK_FAKE_API_KEY}`);
      expect(lastSubmit().headers['content-type']).toBe('application/json');
    });

    it('builds the seed full-format text2video body from the same request', async () => {
      await adapter.submit(
        unified({
          model: 'kling-v1',
          prompt: '太空飞船在航行',
          negativePrompt: '',
          cfgScale: 0,
          mode: 'std',
          aspectRatio: '1:1',
          duration: 5,
          cameraControl: { type: 'simple', config: { horizontal: 1 } },
        }),
        { images: imageResolver(), callbackUrl: 'https://hooks.example/hk' },
      );
      expect(lastSubmit().json).toEqual({
        ...SEED_TEXT2VIDEO_REQUEST,
        notify_hook: 'https://hooks.example/hk',
      });
    });

    it('names the callback notify_hook and sends no external_task_id', async () => {
      await adapter.submit(unified(), {
        images: imageResolver(),
        callbackUrl: 'https://hooks.example/hk',
        externalTaskId: 'wf-1',
      });
      const body = lastSubmit().json as Record<string, unknown>;
      expect(body.notify_hook).toBe('https://hooks.example/hk');
      expect(body).not.toHaveProperty('callback_url');
      expect(body).not.toHaveProperty('external_task_id');
    });

    it('sends duration as the string "10"', async () => {
      await adapter.submit(unified({ duration: 10 }), { images: imageResolver() });
      expect((lastSubmit().json as Record<string, unknown>).duration).toBe('10');
    });

    it('sends an image task to image2video with image and image_tail, raw base64 for blobs', async () => {
      const { handle } = await adapter.submit(
        unified({ mode: 'pro', startImage: BLOB_REFERENCE, endImage: IMAGE_URL }),
        { images: imageResolver() },
      );
      expect(lastSubmit().path).toBe('/kling/v1/videos/image2video');
      expect(lastSubmit().json).toMatchObject({
        model_name: 'kling-v1-6',
        image: BLOB_BASE64,
        image_tail: IMAGE_URL,
      });
      expect(handle.endpoint).toBe('image2video');
    });

    it('sends simple camera_control on kling-v1.5 image2video at 5 s pro, as the map allows', async () => {
      const { taskId } = await adapter.submit(
        unified({
          model: 'kling-v1.5',
          mode: 'pro',
          startImage: IMAGE_URL,
          cameraControl: { type: 'simple', config: { tilt: -2 } },
        }),
        { images: imageResolver() },
      );
      expect(taskId).toBeTruthy();
      expect(lastSubmit().path).toBe('/kling/v1/videos/image2video');
      expect(lastSubmit().json).toMatchObject({
        model_name: 'kling-v1-5',
        camera_control: { type: 'simple', config: { tilt: -2 } },
      });
    });

    it('sends kling-o1 to omni-video as kling-video-o1', async () => {
      const { handle } = await adapter.submit(unified({ model: 'kling-o1', aspectRatio: '16:9' }), {
        images: imageResolver(),
      });
      expect(lastSubmit().path).toBe('/kling/v1/videos/omni-video');
      expect(lastSubmit().json).toMatchObject({
        model_name: 'kling-video-o1',
        duration: '5',
        mode: 'std',
        aspect_ratio: '16:9',
      });
      expect(handle.endpoint).toBe('omni-video');
    });

    it('sends sound only on kling-v2-6, and no mode on kling-v2-master', async () => {
      await adapter.submit(unified({ model: 'kling-v2.6', mode: 'pro', sound: true }), {
        images: imageResolver(),
      });
      expect((lastSubmit().json as Record<string, unknown>).sound).toBe('on');
      await adapter.submit(unified({ model: 'kling-v2' }), { images: imageResolver() });
      expect(lastSubmit().json).not.toHaveProperty('mode');
    });
  });

  describe('the fake accepts the seed request samples', () => {
    it.each([
      ['text2video', SEED_TEXT2VIDEO_REQUEST],
      ['omni-video', SEED_OMNI_REQUEST],
    ])('accepts the %s sample', async (endpoint, body) => {
      const response = await undiciRequest(`${fake.baseUrl}/v1/videos/${endpoint}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${OPENAI_HK_FAKE_API_KEY}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
        dispatcher: agent,
      });
      expect(response.statusCode).toBe(200);
      officialCreateResponseSchema.parse(await response.body.json());
    });
  });

  describe('status', () => {
    it('polls the task on its endpoint until it succeeds with the video', async () => {
      const { taskId, handle } = await adapter.submit(unified({ model: 'kling-o1' }), {
        images: imageResolver(),
      });
      const status = await settled(adapter, handle);
      expect(fake.requestsFor('status').at(-1)!.path).toBe(`/kling/v1/videos/omni-video/${taskId}`);
      expect(status).toEqual({
        state: 'succeeded',
        videos: [{ url: `${fake.origin}/files/${taskId}.mp4`, durationSeconds: 5.041 }],
      });
    });

    it('maps submitted to queued and processing to running', async () => {
      const { taskId, handle } = await adapter.submit(unified(), { images: imageResolver() });
      const task = fake.tasks.get(taskId)!;
      task.renderMs = 60_000;
      task.createdAt = Date.now() + 60_000;
      expect((await adapter.status(handle, {})).state).toBe('queued');
      task.createdAt = Date.now() - 1_000;
      expect((await adapter.status(handle, {})).state).toBe('running');
    });

    it('reports a failed task with the provider message as the reason', async () => {
      fake.queueOutcome({ type: 'fail', message: 'prompt contains sensitive words' });
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      expect(await settled(adapter, handle)).toEqual({
        state: 'failed',
        reason: 'prompt contains sensitive words',
        kind: 'content-rejected',
      });
    });
  });

  describe('errors', () => {
    it.each([
      [{ type: 'status', status: 500 } as const, 'transient', 5000],
      [officialFault(1101), 'provider-unavailable', 1101],
      [officialFault(1102), 'provider-unavailable', 1102],
      [officialFault(1301), 'content-rejected', 1301],
      [officialFault(1201), 'invalid-request', 1201],
    ])('classifies %j on submit as %s', async (fault, kind, code) => {
      fake.injectFault({ route: 'submit', fault, times: 1 });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe(kind);
      expect(error.providerCode).toBe(code);
      expect(error.ambiguous).toBe(false);
    });

    it('keeps Retry-After from a bare 429 as retryAfterMs', async () => {
      fake.injectFault({
        route: 'status',
        fault: { type: 'status', status: 429, headers: { 'retry-after': '3' } },
        times: 1,
      });
      const { handle } = await adapter.submit(unified(), { images: imageResolver() });
      const error = await rejection(adapter.status(handle, {}));
      expect(error.kind).toBe('transient');
      expect(error.retryAfterMs).toBe(3000);
    });

    it('treats a wrong key (401) as provider-unavailable without echoing the key', async () => {
      const wrong = createOpenAiHkProvider({
        apiKey: 'wrong-fake-key-123',
        baseUrl: fake.baseUrl,
        http,
      });
      const error = await rejection(wrong.submit(unified(), { images: imageResolver() }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.httpStatus).toBe(401);
      expect(error.message).not.toContain('wrong-fake-key-123');
    });

    it('treats malformed JSON to a submit as ambiguous', async () => {
      fake.injectFault({ route: 'submit', fault: { type: 'malformed-json' }, times: 1 });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.ambiguous).toBe(true);
    });

    it('treats an accepted-then-cut submit as ambiguous; there is no findTask to resolve it', async () => {
      const before = fake.submissions;
      fake.injectFault({ route: 'submit', fault: { type: 'accept-then-cut' }, times: 1 });
      const error = await rejection(adapter.submit(unified(), { images: imageResolver() }));
      expect(error.ambiguous).toBe(true);
      expect(fake.submissions).toBe(before + 1);
      expect(adapter.findTask).toBeUndefined();
      expect(adapter.capabilities.idempotentSubmit).toBe(false);
    });

    it('treats a hung submit as ambiguous', async () => {
      const impatient = createOpenAiHkProvider({
        apiKey: OPENAI_HK_FAKE_API_KEY,
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
      expect(error.ambiguous).toBe(true);
    });
  });
});

describe('OpenAI-HK check (seed limits and per-model rules)', () => {
  const adapter = createOpenAiHkProvider({ apiKey: 'k', http });
  const fields = (input: Partial<UnifiedRequestInput>) =>
    adapter.check(unified(input)).issues.map((issue) => issue.field);

  it('takes a prompt of at most 500 characters', () => {
    expect(fields({ prompt: 'x'.repeat(500) })).toEqual([]);
    expect(fields({ prompt: 'x'.repeat(501) })).toEqual(['prompt']);
  });

  it('takes a negative prompt of at most 200 characters', () => {
    expect(fields({ negativePrompt: 'x'.repeat(200) })).toEqual([]);
    expect(fields({ negativePrompt: 'x'.repeat(201) })).toEqual(['negativePrompt']);
  });

  it('allows camera control only at 5 s in std mode', () => {
    const cameraControl = { type: 'forward_up' } as const;
    expect(fields({ model: 'kling-v1', cameraControl })).toEqual([]);
    expect(fields({ model: 'kling-v1', cameraControl, duration: 10 })).toEqual(['cameraControl']);
    expect(fields({ model: 'kling-v1', cameraControl, mode: 'pro' })).toEqual(['cameraControl']);
  });

  it('allows sound only on kling-v2.6, in pro', () => {
    expect(fields({ model: 'kling-v1.6', sound: true })).toEqual(['sound']);
    expect(fields({ model: 'kling-v2.6', mode: 'pro', sound: true })).toEqual([]);
  });

  it('allows an end image only on image2video, in pro for 1.5/1.6', () => {
    expect(fields({ startImage: IMAGE_URL, endImage: IMAGE_URL })).toEqual(['endImage']);
    expect(fields({ mode: 'pro', startImage: IMAGE_URL, endImage: IMAGE_URL })).toEqual([]);
    expect(fields({ model: 'kling-v2.6', startImage: IMAGE_URL })).toEqual(['startImage']);
  });

  it('refuses cfgScale on v2.x models', () => {
    expect(fields({ model: 'kling-v2.6', cfgScale: 0.5 })).toEqual(['cfgScale']);
  });

  it('does not sell models the seed does not list', () => {
    expect(fields({ model: 'kling-v2.1', startImage: IMAGE_URL })).toEqual(['model']);
    expect(fields({ model: 'kling-v3' })).toEqual(['model']);
  });

  it('declares notify_hook callbacks and no idempotent submit', () => {
    expect(adapter.capabilities).toMatchObject({
      callbacks: true,
      callbackField: 'notify_hook',
      idempotentSubmit: false,
      imageForms: ['url', 'base64'],
    });
    expect(OPENAI_HK_OFFERS.map((offer) => offer.endpoint)).toContain('/v1/videos/omni-video');
  });
});

describe('OpenAI-HK prices (seed rules, in base units of kling-v1 5 s std)', () => {
  it.each([
    ['kling-v1 at 5s duration in std mode is the base price', { model: 'kling-v1' }, 1],
    ['10s duration costs 2x the base price', { model: 'kling-v1', duration: 10 }, 2],
    ['pro mode costs 3.5x the base price', { model: 'kling-v1', mode: 'pro' }, 3.5],
    ['kling-v1-5 costs 2x the base price', { model: 'kling-v1.5', startImage: IMAGE_URL }, 2],
    ['kling-v1-6 costs 2x the base price', { model: 'kling-v1.6' }, 2],
    ['kling-v2-master costs 10x the base price', { model: 'kling-v2' }, 10],
    // The seed's example lists ×2 ×3.5 and footnotes the 10 s rule; with v1-5's own ×2 that is 14.
    [
      'kling-v1-5 at 10s in pro mode = base price x2 x3.5 (and x2 for 10s)',
      { model: 'kling-v1.5', mode: 'pro', duration: 10, startImage: IMAGE_URL },
      14,
    ],
  ] as const)('%s', (_rule, input, expected) => {
    const price = priceOpenAiHk(unified(input));
    expect(price).toEqual({ amount: expected, unit: 'base-units' });
  });

  it('audio costs 2x the base price (kling-v2-6)', () => {
    const silent = baseUnitPrice(unified({ model: 'kling-v2.6' }));
    expect(baseUnitPrice(unified({ model: 'kling-v2.6', sound: true }))).toBe(silent * 2);
  });

  it.each([
    ['std, 5 s', { mode: 'std', duration: 5 }, 45_000],
    ['pro multiplier 4/3, 5 s', { mode: 'pro', duration: 5 }, 60_000],
    ['std, 10 s', { mode: 'std', duration: 10 }, 90_000],
    [
      'the seed example: pro, 5 s, with video reference = 4/3 * 9000 * 1.5 * 5',
      { mode: 'pro', duration: 5, videoReference: true },
      90_000,
    ],
    [
      'video reference multiplier 1.5, std, 5 s',
      { mode: 'std', duration: 5, videoReference: true },
      67_500,
    ],
  ] as const)('omni-video credits: %s', (_rule, options, expected) => {
    expect(omniCredits(options)).toBe(expected);
  });

  it('prices kling-o1 requests in credits', () => {
    expect(priceOpenAiHk(unified({ model: 'kling-o1', mode: 'pro' }))).toEqual({
      amount: 60_000,
      unit: 'credits',
    });
  });
});
