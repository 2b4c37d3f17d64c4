import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRequestAgainstProviders } from '../../../src/providers/catalog.js';
import { priceKling } from '../../../src/providers/kling-catalog.js';
import { signKlingToken } from '../../../src/providers/kling-jwt.js';
import type { ProviderAdapter } from '../../../src/providers/provider.js';
import { parseUnifiedRequest } from '../../../src/request/parse-request.js';
import type { UnifiedRequestInput } from '../../../src/request/unified-request.js';
import type { FakeProviderServer } from '../../../src/simulated/fake-server.js';
import { KLING_FAKE_ACCESS_KEY, KLING_FAKE_SECRET_KEY } from '../../../src/simulated/kling-fake.js';
import { adapterCase, imageResolver } from './adapter-cases.js';
import { http, settled } from './provider-test-support.js';

/**
 * The official API's multi_prompt as the unified `shots` (issue 13): kling-v3 on text2video and
 * image2video, `multi_shot: true`, `shot_type: "customize"`, `multi_prompt` of
 * `{index, prompt, duration: "N"}` adding up to `duration`; the fake checks the same rules.
 */

const IMAGE = 'https://images.example/dancer.png';
const SHOTS = [
  { prompt: 'a wide street at dusk', duration: 3 },
  { prompt: 'a close-up of a face', duration: 4 },
];
const MULTI_PROMPT = [
  { index: 1, prompt: 'a wide street at dusk', duration: '3' },
  { index: 2, prompt: 'a close-up of a face', duration: '4' },
];

function v3(input: Partial<UnifiedRequestInput> = {}) {
  return parseUnifiedRequest({ model: 'kling-v3', duration: 7, shots: SHOTS, ...input });
}

describe('official multi-shot against the official fake', () => {
  let fake: FakeProviderServer;
  let adapter: ProviderAdapter;
  const lastSubmit = () => fake.requestsFor('submit').at(-1);

  beforeAll(async () => {
    const kling = adapterCase('kling');
    fake = await kling.start();
    adapter = kling.create(fake.baseUrl, http);
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('sends text-to-video shots as multi_prompt, without the ignored prompt, sound off', async () => {
    const request = v3({ prompt: 'a short film' });
    const check = adapter.check(request);
    expect(check.issues).toEqual([]);
    expect(check.warnings).toEqual([expect.stringContaining('prompt is ignored with shots')]);
    const { handle } = await adapter.submit(request, { images: imageResolver() });
    expect(lastSubmit()?.path).toMatch(/\/v1\/videos\/text2video$/);
    const body = lastSubmit()?.json as Record<string, unknown>;
    expect(body).toMatchObject({
      model_name: 'kling-v3',
      duration: '7',
      sound: 'off',
      multi_shot: true,
      shot_type: 'customize',
      multi_prompt: MULTI_PROMPT,
    });
    expect(body).not.toHaveProperty('prompt');
    expect((await settled(adapter, handle)).state).toBe('succeeded');
  });

  it('sends image-to-video shots with the first frame on image2video', async () => {
    const { handle } = await adapter.submit(v3({ startImage: IMAGE, sound: true }), {
      images: imageResolver(),
    });
    expect(lastSubmit()?.path).toMatch(/\/v1\/videos\/image2video$/);
    expect(lastSubmit()?.json).toMatchObject({
      image: IMAGE,
      sound: 'on',
      multi_shot: true,
      multi_prompt: MULTI_PROMPT,
    });
    expect((await settled(adapter, handle)).state).toBe('succeeded');
  });

  describe('the fake refuses what the docs refuse, with code 1201', () => {
    async function rawSubmit(body: Record<string, unknown>, endpoint = 'text2video') {
      const token = await signKlingToken(
        { accessKey: KLING_FAKE_ACCESS_KEY, secretKey: KLING_FAKE_SECRET_KEY },
        Date.now(),
      );
      const response = await undiciRequest(`${fake.baseUrl}/v1/videos/${endpoint}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model_name: 'kling-v3',
          duration: '7',
          multi_shot: true,
          shot_type: 'customize',
          multi_prompt: MULTI_PROMPT,
          ...body,
        }),
        dispatcher: http.dispatcher,
      });
      const answer = (await response.body.json()) as { code: number; message: string };
      return { status: response.statusCode, ...answer };
    }

    it('accepts the documented shape', async () => {
      expect(await rawSubmit({})).toMatchObject({ status: 200, code: 0 });
    });

    it.each([
      ['durations that do not add up', { duration: '8' }, /add up/],
      [
        'a numeric shot duration',
        { multi_prompt: [{ ...MULTI_PROMPT[0], duration: 3 }, MULTI_PROMPT[1]] },
        /multi_prompt.duration/,
      ],
      [
        'a shot prompt over 512 characters',
        { multi_prompt: [{ ...MULTI_PROMPT[0], prompt: 'x'.repeat(513) }, MULTI_PROMPT[1]] },
        /512/,
      ],
      [
        'seven shots',
        { duration: '7', multi_prompt: Array(7).fill({ ...MULTI_PROMPT[0], duration: '1' }) },
        /1 to 6/,
      ],
      ['no shot_type', { prompt: 'x', shot_type: undefined }, /shot_type/],
      ['a model without multi-shot', { model_name: 'kling-v2-6', duration: '10' }, /kling-v3/],
      ['multi_shot as a string', { prompt: 'x', multi_shot: 'true' }, /boolean/],
    ])('refuses %s', async (_what, override, message) => {
      const answer = await rawSubmit(override);
      expect(answer).toMatchObject({ status: 400, code: 1201 });
      expect(answer.message).toMatch(message);
    });

    it('refuses image_tail with multi_shot on image2video', async () => {
      const answer = await rawSubmit({ image: IMAGE, image_tail: IMAGE }, 'image2video');
      expect(answer).toMatchObject({ status: 400, code: 1201 });
      expect(answer.message).toMatch(/image_tail/);
    });

    it('still requires a prompt on text2video without multi_shot', async () => {
      const answer = await rawSubmit({ multi_shot: false });
      expect(answer).toMatchObject({ status: 400, code: 1201 });
      expect(answer.message).toMatch(/prompt/);
    });
  });
});

describe('official multi-shot validation and price', () => {
  const issues = (request: ReturnType<typeof v3>) =>
    checkRequestAgainstProviders(request, ['kling']).issues;

  it('refuses shots on models without multi-shot, naming shots', () => {
    expect(
      issues(
        v3({
          model: 'kling-v2.6',
          duration: 10,
          shots: [
            { prompt: 'a', duration: 5 },
            { prompt: 'b', duration: 5 },
          ],
        }),
      ),
    ).toEqual([
      expect.objectContaining({
        field: 'shots',
        location: 'provider kling',
        allowed: ['model kling-v3'],
      }),
    ]);
  });

  it('names the shot whose prompt is empty or longer than 512 characters', () => {
    const long = v3({
      shots: [
        { prompt: 'x'.repeat(513), duration: 3 },
        { prompt: '', duration: 4 },
      ],
    });
    expect(issues(long).map((issue) => issue.field)).toEqual([
      'shots[0].prompt',
      'shots[1].prompt',
    ]);
  });

  it('refuses an end frame with shots, naming endImage', () => {
    expect(issues(v3({ startImage: IMAGE, endImage: IMAGE }))).toEqual([
      expect.objectContaining({ field: 'endImage', message: expect.stringContaining('shots') }),
    ]);
  });

  it('refuses shots on OpenAI-HK, whose seed sells no kling-v3', () => {
    const check = checkRequestAgainstProviders(v3(), ['openai-hk']);
    expect(check.servable).toEqual([]);
    expect(check.issues).toEqual([expect.objectContaining({ field: 'model' })]);
  });

  it('prices multi-shot like one shot of the same length (v3 per second, sound off)', () => {
    const single = parseUnifiedRequest({ model: 'kling-v3', prompt: 'x', duration: 7 });
    expect(priceKling(v3())).toEqual(priceKling(single));
    expect(priceKling(v3()).amount).toBe(14);
  });
});
