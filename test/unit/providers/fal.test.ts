import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFalProvider, FAL_ENVELOPE } from '../../../src/providers/fal.js';
import {
  FAL_ASSUMED_USD_PER_SECOND,
  FAL_OFFERS,
  FAL_PRICES_USD,
  priceFal,
} from '../../../src/providers/fal-catalog.js';
import { FAL_OFFERING } from '../../../src/providers/fal-offering.js';
import { failedTaskStatus } from '../../../src/providers/kit/content-rejection.js';
import { providerModelName } from '../../../src/providers/offer-check.js';
import type { ProviderAdapter } from '../../../src/providers/provider.js';
import {
  type UnifiedRequestInput,
  unifiedRequestSchema,
} from '../../../src/request/unified-request.js';
import type { CallbackingFakeServer } from '../../../src/simulated/fake-callbacks.js';
import { FAL_FAKE_API_KEY, falErrorBody, startFalFake } from '../../../src/simulated/fal-fake.js';
import { imageResolver } from './adapter-cases.js';
import { http, rejection, settled } from './provider-test-support.js';

const IMAGE = 'https://images.example/cat.png';
const END = 'https://images.example/cat-end.png';

const unified = (input: Partial<UnifiedRequestInput> = {}) =>
  unifiedRequestSchema.parse({ prompt: 'a cat in a garden', ...input });

describe('fal.ai adapter against its fake', () => {
  let fake: CallbackingFakeServer;
  let adapter: ProviderAdapter;
  const submit = (input: Partial<UnifiedRequestInput>, callbackUrl?: string) =>
    adapter.submit(unified(input), {
      images: imageResolver(),
      ...(callbackUrl ? { callbackUrl } : {}),
    });
  const lastSubmit = () => fake.requestsFor('submit').at(-1)!;

  beforeAll(async () => {
    fake = await startFalFake({ renderMs: 150 });
    adapter = createFalProvider({ apiKey: FAL_FAKE_API_KEY, baseUrl: fake.baseUrl, http });
  });
  afterEach(() => fake.clearFaults());
  afterAll(async () => {
    await fake.stop();
  });

  describe('submit wire format', () => {
    it('posts to {base}/{endpoint_id} with "Authorization: Key", duration as a string', async () => {
      await submit({ model: 'kling-v2.1', mode: 'pro', startImage: IMAGE, endImage: END });
      const sent = lastSubmit();
      expect(sent.path).toBe('/fal-ai/kling-video/v2.1/pro/image-to-video');
      expect(sent.headers.authorization).toBe(`Key ${FAL_FAKE_API_KEY}`);
      expect(sent.json).toEqual({
        prompt: 'a cat in a garden',
        duration: '5',
        image_url: IMAGE,
        tail_image_url: END,
      });
    });

    it('uses text-to-video without a start image, with aspect_ratio and cfg_scale', async () => {
      await submit({ model: 'kling-v1.6', aspectRatio: '9:16', cfgScale: 0.4, duration: 10 });
      expect(lastSubmit().path).toBe('/fal-ai/kling-video/v1.6/standard/text-to-video');
      expect(lastSubmit().json).toMatchObject({
        aspect_ratio: '9:16',
        cfg_scale: 0.4,
        duration: '10',
      });
    });

    it('sends v2.6 images as start_image_url/end_image_url and always says generate_audio', async () => {
      await submit({ model: 'kling-v2.6', mode: 'pro', startImage: IMAGE, endImage: END });
      expect(lastSubmit().path).toBe('/fal-ai/kling-video/v2.6/pro/image-to-video');
      expect(lastSubmit().json).toEqual({
        prompt: 'a cat in a garden',
        duration: '5',
        generate_audio: false,
        start_image_url: IMAGE,
        end_image_url: END,
      });
      await submit({ model: 'kling-v2.6', mode: 'pro', sound: true });
      expect(lastSubmit().json).toMatchObject({ generate_audio: true });
    });

    it('sends stored images as data URIs', async () => {
      await submit({ model: 'kling-v3', startImage: `blob:sha256:${'a'.repeat(64)}` });
      expect(lastSubmit().json).toMatchObject({
        start_image_url: 'data:image/png;base64,ZmFrZQ==',
      });
    });

    it('sends shots as multi_prompt with string durations instead of prompt (v3)', async () => {
      await submit({
        model: 'kling-v3',
        duration: 8,
        shots: [
          { prompt: 'a cat wakes up', duration: 3 },
          { prompt: 'the cat jumps', duration: 5 },
        ],
      });
      expect(lastSubmit().json).toEqual({
        duration: '8',
        multi_prompt: [
          { prompt: 'a cat wakes up', duration: '3' },
          { prompt: 'the cat jumps', duration: '5' },
        ],
        shot_type: 'customize',
        generate_audio: false,
      });
    });

    it('puts the callback URL in the fal_webhook query parameter', async () => {
      const callback = 'http://127.0.0.1:9/callbacks/wf%2F1/1/token?x=1';
      await submit({ model: 'kling-v1' }, callback);
      const query = new URL(lastSubmit().path, fake.origin).searchParams;
      expect(query.get('fal_webhook')).toBe(callback);
    });

    it('keeps the returned queue URLs in the handle', async () => {
      const { taskId, handle } = await submit({ model: 'kling-v1' });
      expect(handle).toEqual({
        provider: 'fal',
        taskId,
        statusUrl: `${fake.origin}/fal-ai/kling-video/requests/${taskId}/status`,
        responseUrl: `${fake.origin}/fal-ai/kling-video/requests/${taskId}`,
        cancelUrl: `${fake.origin}/fal-ai/kling-video/requests/${taskId}/cancel`,
      });
    });
  });

  describe('status', () => {
    it('goes IN_QUEUE → IN_PROGRESS → COMPLETED and reads the video from response_url', async () => {
      fake.holdNextTaskQueued(1_000);
      const { handle } = await submit({ model: 'kling-v1' });
      expect((await adapter.status(handle, {})).state).toBe('queued');
      const done = await settled(adapter, handle);
      expect(done).toEqual({
        state: 'succeeded',
        videos: [{ url: `${fake.origin}/files/${handle.taskId}.mp4` }],
      });
      expect(fake.requestsFor('result').length).toBeGreaterThan(0);
    });

    it('reports a refused request as content-rejected, any other failure as provider-unavailable', async () => {
      fake.queueOutcome({ type: 'fail', message: 'Content policy violation detected' });
      const refused = await submit({ model: 'kling-v1' });
      expect(await settled(adapter, refused.handle)).toMatchObject({
        state: 'failed',
        kind: 'content-rejected',
      });
      fake.queueOutcome({ type: 'fail', message: 'Render crashed' });
      const crashed = await submit({ model: 'kling-v1' });
      expect(await settled(adapter, crashed.handle)).toMatchObject({
        state: 'failed',
        kind: 'provider-unavailable',
        reason: expect.stringContaining('Render crashed'),
      });
    });

    it('takes the kind a COMPLETED status states in error_type over the wording', async () => {
      const { handle } = await submit({ model: 'kling-v1' });
      fake.injectFault({
        route: 'status',
        times: 1,
        fault: {
          type: 'status',
          status: 200,
          body: { status: 'COMPLETED', error: 'blocked', error_type: 'content_policy_violation' },
        },
      });
      expect(await adapter.status(handle, {})).toEqual({
        state: 'failed',
        reason: 'blocked',
        kind: 'content-rejected',
      });
    });

    it("reads a refusal from fal's error type, whatever its message says", async () => {
      fake.queueOutcome({
        type: 'fail',
        message: 'The output was blocked.',
        errorType: 'content_policy_violation',
      });
      const refused = await submit({ model: 'kling-v1' });
      expect(await settled(adapter, refused.handle)).toEqual({
        state: 'failed',
        kind: 'content-rejected',
        reason: 'body.prompt: The output was blocked. (content_policy_violation)',
      });
    });

    it('refuses a returned URL on another host (the key is not sent there)', async () => {
      const { handle } = await submit({ model: 'kling-v1' });
      const moved = { ...handle, statusUrl: 'http://127.0.0.2:1/elsewhere' };
      expect((await rejection(adapter.status(moved, {}))).kind).toBe('provider-unavailable');
    });
  });

  describe('cancel', () => {
    it('cancels a request in flight; the request then ends failed', async () => {
      const { handle } = await submit({ model: 'kling-v1' });
      expect(await adapter.cancel!(handle, {})).toEqual({
        outcome: 'cancelled',
        detail: 'CANCELLATION_REQUESTED',
      });
      expect(fake.requestsFor('cancel').at(-1)?.method).toBe('PUT');
      expect((await settled(adapter, handle)).state).toBe('failed');
    });

    it('says already-finished for a finished request and not-found for an unknown one', async () => {
      const { handle } = await submit({ model: 'kling-v1' });
      await settled(adapter, handle);
      expect((await adapter.cancel!(handle, {})).outcome).toBe('already-finished');
      const unknown = {
        ...handle,
        cancelUrl: `${fake.origin}/fal-ai/kling-video/requests/nope/cancel`,
      };
      expect((await adapter.cancel!(unknown, {})).outcome).toBe('not-found');
    });
  });

  describe('errors', () => {
    it('classifies "User is locked" (403, exhausted balance) as provider-unavailable', async () => {
      fake.injectFault({
        route: 'submit',
        fault: { type: 'status', status: 403, body: falErrorBody('User is locked') },
        times: 1,
      });
      const error = await rejection(submit({ model: 'kling-v1' }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.message).toContain('User is locked');
    });

    it('classifies a 422 validation answer as invalid-request with the field named', async () => {
      const error = await rejection(
        submit({ model: 'kling-v1', providerOptions: { fal: { cfg_scale: 'high' } } }),
      );
      expect(error.kind).toBe('invalid-request');
      expect(error.message).toContain('body.cfg_scale');
    });
  });

  describe('webhook', () => {
    let receiver: Server;
    const received: unknown[] = [];
    beforeAll(async () => {
      receiver = createServer((request, response) => {
        let text = '';
        request.on('data', (chunk) => {
          text += chunk;
        });
        request.on('end', () => {
          received.push(JSON.parse(text));
          response.end('{}');
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

    it('POSTs {status: "OK", request_id, payload: {video}} to fal_webhook when done', async () => {
      const port = (receiver.address() as AddressInfo).port;
      const { taskId } = await submit({ model: 'kling-v1' }, `http://127.0.0.1:${port}/cb/1`);
      await vi.waitFor(() => expect(received.length).toBeGreaterThan(0), { timeout: 5000 });
      expect(received[0]).toMatchObject({
        status: 'OK',
        request_id: taskId,
        payload: { video: { url: `${fake.origin}/files/${taskId}.mp4` } },
      });
    });
  });
});

describe('fal.ai catalog', () => {
  it('prices every offered row: published rates where known, the assumed rate elsewhere', () => {
    for (const offer of FAL_OFFERS) {
      for (const mode of offer.modes) {
        for (const duration of offer.durations) {
          const request = unified({
            model: offer.model,
            mode,
            duration,
            ...(offer.startImage === 'required' ? { startImage: IMAGE } : {}),
          });
          const family = providerModelName(offer, mode);
          const rate = FAL_PRICES_USD[family];
          const expected =
            rate === undefined
              ? FAL_ASSUMED_USD_PER_SECOND * duration
              : 'perSecond' in rate
                ? rate.perSecond * duration
                : rate.firstFiveSeconds + (duration - 5) * rate.perExtraSecond;
          expect(priceFal(request).amount, `${family} ${duration} s`).toBeCloseTo(expected, 4);
          expect(priceFal(request).unit).toBe('USD');
        }
      }
    }
  });

  it.each([
    [{ model: 'kling-v1', duration: 5 }, 0.225],
    [{ model: 'kling-v1', duration: 10 }, 0.45],
    [{ model: 'kling-v2.1', startImage: IMAGE }, 0.28],
    [{ model: 'kling-v2.1', startImage: IMAGE, duration: 10 }, 0.56],
    [{ model: 'kling-v2.1', mode: 'pro', startImage: IMAGE, duration: 10 }, 0.98],
    [{ model: 'kling-v2.5-turbo', mode: 'pro' }, 0.35],
    [{ model: 'kling-v2.5-turbo', mode: 'std', startImage: IMAGE, duration: 10 }, 0.42],
    [{ model: 'kling-v3', duration: 5 }, 0.42],
    [{ model: 'kling-v3', duration: 5, sound: true }, 0.63],
    [{ model: 'kling-v3', mode: 'pro', duration: 10, sound: true }, 1.68],
    [{ model: 'kling-v2.6', mode: 'pro', duration: 10 }, 2.8],
  ] as const)('prices %o at $%s (published figures)', (input, usd) => {
    expect(priceFal(unified(input as Partial<UnifiedRequestInput>))).toEqual({
      amount: usd,
      unit: 'USD',
      usd,
    });
  });

  it('refuses what fal does not sell, naming the field and the allowed values', () => {
    const textToVideo = FAL_OFFERING.check(unified({ model: 'kling-v2.1' }));
    expect(textToVideo.issues).toEqual([expect.objectContaining({ field: 'startImage' })]);
    const std26 = FAL_OFFERING.check(unified({ model: 'kling-v2.6', mode: 'std' }));
    expect(std26.issues).toEqual([expect.objectContaining({ field: 'mode', allowed: ['pro'] })]);
    const long = FAL_OFFERING.check(
      unified({ model: 'kling-v2.1', startImage: IMAGE, duration: 7 }),
    );
    expect(long.issues).toEqual([expect.objectContaining({ field: 'duration', allowed: [5, 10] })]);
  });
});

describe("fal's error envelope", () => {
  it('states content-rejected for a content_policy_violation, in the kind itself', () => {
    const read = FAL_ENVELOPE.read(
      { detail: [{ loc: ['body', 'prompt'], msg: 'blocked', type: 'content_policy_violation' }] },
      422,
    );
    expect(read).toMatchObject({ kind: 'content-rejected', code: 'content_policy_violation' });
    // A kind the provider states wins over the wording, which alone would say an outage.
    expect(failedTaskStatus('blocked', read?.kind)).toMatchObject({ kind: 'content-rejected' });
    expect(failedTaskStatus('blocked')).toMatchObject({ kind: 'provider-unavailable' });
  });

  it('keeps the type of a request error as its code, with no kind of its own', () => {
    const read = FAL_ENVELOPE.read(
      { detail: 'Request timed out', error_type: 'request_timeout' },
      504,
    );
    expect(read).toEqual({
      message: 'Request timed out (request_timeout)',
      code: 'request_timeout',
    });
  });
});
