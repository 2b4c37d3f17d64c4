import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { createApiModelsProvider } from '../../../src/providers/apimodels.js';
import {
  APIMODELS_MOTION_CONTROL_USD,
  MOTION_CONTROL_DURATIONS,
  priceApiModels,
} from '../../../src/providers/apimodels-catalog.js';
import { checkRequestAgainstProviders } from '../../../src/providers/catalog.js';
import { priceKling } from '../../../src/providers/kling-catalog.js';
import { createOpenAiHkProvider } from '../../../src/providers/openai-hk.js';
import { priceOpenAiHk } from '../../../src/providers/openai-hk-catalog.js';
import type { ProviderAdapter } from '../../../src/providers/provider.js';
import { parseUnifiedRequest } from '../../../src/request/parse-request.js';
import type { UnifiedRequestInput } from '../../../src/request/unified-request.js';
import {
  APIMODELS_FAKE_API_KEY,
  startApiModelsFake,
} from '../../../src/simulated/apimodels-fake.js';
import type { FakeProviderServer } from '../../../src/simulated/fake-server.js';
import {
  OPENAI_HK_FAKE_API_KEY,
  startOpenAiHkFake,
} from '../../../src/simulated/openai-hk-fake.js';
import { imageResolver } from './adapter-cases.js';
import { http, settled } from './provider-test-support.js';

/**
 * The seed features of issue 13: apimodels' kling-motion-control (motionVideo), multi-shot
 * (shots), image-to-video without a prompt, and how requests that use them are validated.
 */

const IMAGE = 'https://images.example/dancer.png';
const MOTION = 'https://videos.example/dance.mp4';
const SHOTS = [
  { prompt: 'a dancer bows', duration: 3 },
  { prompt: 'she spins', duration: 4 },
];

function issuesOf(input: Record<string, unknown>) {
  try {
    parseUnifiedRequest(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  return [];
}

describe('seed features on apimodels.app against its fake', () => {
  let fake: FakeProviderServer;
  let adapter: ProviderAdapter;
  const submit = (input: Partial<UnifiedRequestInput>) =>
    adapter.submit(parseUnifiedRequest(input), { images: imageResolver() });
  const lastSubmit = () => fake.requestsFor('submit').at(-1)?.json;

  beforeAll(async () => {
    fake = await startApiModelsFake({ renderMs: 100 });
    adapter = createApiModelsProvider({
      apiKey: APIMODELS_FAKE_API_KEY,
      baseUrl: fake.baseUrl,
      http,
    });
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('sends kling-motion-control with image and motion_video, and no duration', async () => {
    const { handle } = await submit({
      model: 'kling-motion-control',
      mode: 'pro',
      duration: 12,
      startImage: IMAGE,
      motionVideo: MOTION,
    });
    expect(lastSubmit()).toEqual({
      model: 'kling-motion-control',
      mode: 'pro',
      image: IMAGE,
      motion_video: MOTION,
    });
    expect((await settled(adapter, handle)).state).toBe('succeeded');
  });

  it('sends shots as multi_shot with the official multi_prompt on kling-v3', async () => {
    await submit({ model: 'kling-v3', prompt: 'a dance', duration: 7, shots: SHOTS });
    expect(lastSubmit()).toMatchObject({
      model: 'kling-v3',
      duration: '7',
      multi_shot: true,
      shot_type: 'customize',
      multi_prompt: [
        { index: 1, prompt: 'a dancer bows', duration: '3' },
        { index: 2, prompt: 'she spins', duration: '4' },
      ],
    });
  });

  it('sends image-to-video without a prompt (the seed requires it for text-to-video only)', async () => {
    const { handle } = await submit({ model: 'kling-v2.6', startImage: IMAGE });
    expect(lastSubmit()).toEqual({ model: 'kling-v2-6', mode: 'std', duration: '5', image: IMAGE });
    expect((await settled(adapter, handle)).state).toBe('succeeded');
  });
});

describe('seed feature prices', () => {
  it.each([
    ['std', 1],
    ['pro', 30],
    ['std', 17],
  ] as const)('kling-motion-control %s at %s s is the seed flat $0.0309', (mode, duration) => {
    const request = parseUnifiedRequest({
      model: 'kling-motion-control',
      mode,
      duration,
      startImage: IMAGE,
      motionVideo: MOTION,
    });
    expect(priceApiModels(request)).toEqual({
      amount: APIMODELS_MOTION_CONTROL_USD,
      unit: 'USD',
      usd: 0.0309,
    });
  });

  it('offers motion control for up to 30 s and no more', () => {
    expect(MOTION_CONTROL_DURATIONS.at(-1)).toBe(30);
    const check = checkRequestAgainstProviders(
      parseUnifiedRequest({
        model: 'kling-motion-control',
        duration: 31,
        startImage: IMAGE,
        motionVideo: MOTION,
      }),
      ['apimodels'],
    );
    expect(check.issues).toEqual([expect.objectContaining({ field: 'duration' })]);
  });

  it('prices multi-shot kling-v3 per second of the whole video', () => {
    const request = parseUnifiedRequest({
      model: 'kling-v3',
      prompt: 'x',
      duration: 7,
      shots: SHOTS,
    });
    expect(priceApiModels(request).amount).toBe(0.4431);
  });
});

describe('seed feature validation names the field and the allowed values', () => {
  it('refuses shots whose durations do not add up to duration', () => {
    expect(issuesOf({ prompt: 'x', model: 'kling-v3', duration: 8, shots: SHOTS })).toEqual([
      expect.objectContaining({ field: 'shots', message: expect.stringContaining('7 s') }),
    ]);
  });

  it('refuses a single shot, and more than six', () => {
    expect(issuesOf({ prompt: 'x', duration: 5, shots: [{ prompt: 'a', duration: 5 }] })).toEqual([
      expect.objectContaining({ field: 'shots' }),
    ]);
    const seven = Array.from({ length: 7 }, () => ({ prompt: 'a', duration: 1 }));
    expect(issuesOf({ prompt: 'x', model: 'kling-v3', duration: 7, shots: seven })).toEqual([
      expect.objectContaining({ field: 'shots' }),
    ]);
  });

  it('refuses a text-to-video request without a prompt', () => {
    expect(issuesOf({ model: 'kling-v2.6' })).toEqual([
      expect.objectContaining({ field: 'prompt' }),
    ]);
  });

  it('leaves only providers that take a prompt-less image-to-video request servable', () => {
    const check = checkRequestAgainstProviders(
      parseUnifiedRequest({ model: 'kling-v2.6', startImage: IMAGE, mode: 'pro' }),
    );
    expect(check.servable).toContain('apimodels');
    expect(check.servable).not.toContain('fal');
    expect(check.issues).toContainEqual(
      expect.objectContaining({ field: 'prompt', location: 'provider fal' }),
    );
  });

  it('names motionVideo as required on motion control and refused elsewhere', () => {
    const missing = checkRequestAgainstProviders(
      parseUnifiedRequest({ model: 'kling-motion-control', startImage: IMAGE }),
      ['apimodels'],
    );
    expect(missing.issues).toEqual([expect.objectContaining({ field: 'motionVideo' })]);
    const elsewhere = checkRequestAgainstProviders(
      parseUnifiedRequest({ model: 'kling-v3', prompt: 'x', motionVideo: MOTION }),
      ['apimodels', 'fal'],
    );
    expect(elsewhere.servable).toEqual([]);
    expect(elsewhere.issues).toContainEqual(
      expect.objectContaining({ field: 'motionVideo', allowed: ['kling-motion-control'] }),
    );
  });

  it('refuses shots where the model has no multi-shot', () => {
    const check = checkRequestAgainstProviders(
      parseUnifiedRequest({
        model: 'kling-v2.6',
        mode: 'pro',
        prompt: 'x',
        duration: 7,
        shots: SHOTS,
      }),
      ['apimodels', 'fal'],
    );
    expect(check.servable).toEqual([]);
    expect(check.issues.map((issue) => issue.field)).toContain('shots');
  });

  it('refuses a motion video that is neither a URL nor a stored blob', () => {
    expect(
      issuesOf({ model: 'kling-motion-control', startImage: IMAGE, motionVideo: './dance.mp4' }),
    ).toEqual([expect.objectContaining({ field: 'motionVideo' })]);
  });
});

describe('referenceVideo: the omni-video video_list (kling-o1), priced ×1.5', () => {
  const omni = (input: Partial<UnifiedRequestInput> = {}) =>
    parseUnifiedRequest({ model: 'kling-o1', prompt: 'snow falls', ...input });

  it('reproduces the seed example: pro, 5 s, with a video reference = 90,000 credits', () => {
    const request = omni({ mode: 'pro', duration: 5, referenceVideo: MOTION });
    expect(priceOpenAiHk(request)).toEqual({ amount: 90_000, unit: 'credits' });
    expect(priceOpenAiHk(omni({ mode: 'pro', duration: 5 })).amount).toBe(60_000);
  });

  it('prices the official API ×1.5 as well', () => {
    const plain = priceKling(omni({ duration: 10 })).amount;
    expect(priceKling(omni({ duration: 10, referenceVideo: MOTION })).amount).toBeCloseTo(
      plain * 1.5,
      6,
    );
  });

  it('sends video_list [{video_url, refer_type: "feature"}] to omni-video', async () => {
    const fake = await startOpenAiHkFake({ renderMs: 100 });
    try {
      const adapter = createOpenAiHkProvider({
        apiKey: OPENAI_HK_FAKE_API_KEY,
        baseUrl: fake.baseUrl,
        http,
      });
      const { handle } = await adapter.submit(omni({ referenceVideo: MOTION }), {
        images: imageResolver(),
      });
      expect(fake.requestsFor('submit').at(-1)?.json).toMatchObject({
        model_name: 'kling-video-o1',
        video_list: [{ video_url: MOTION, refer_type: 'feature' }],
      });
      expect((await settled(adapter, handle)).state).toBe('succeeded');
    } finally {
      await fake.stop();
    }
  });

  it('is refused, naming the field, on models without omni-video', () => {
    const check = checkRequestAgainstProviders(
      parseUnifiedRequest({ model: 'kling-v2.6', prompt: 'x', referenceVideo: MOTION }),
    );
    expect(check.servable).toEqual([]);
    expect(check.issues.map((issue) => issue.field)).toContain('referenceVideo');
  });
});
