import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProviderAdapter } from '../../../src/providers/provider.js';
import {
  createReplicateProvider,
  REPLICATE_WEBHOOK_MARKER,
  replicateWebhookUrl,
} from '../../../src/providers/replicate.js';
import {
  priceReplicate,
  REPLICATE_ASSUMED_USD_PER_SECOND,
  REPLICATE_OFFERS,
} from '../../../src/providers/replicate-catalog.js';
import { REPLICATE_OFFERING } from '../../../src/providers/replicate-offering.js';
import {
  type UnifiedRequestInput,
  unifiedRequestSchema,
} from '../../../src/request/unified-request.js';
import {
  REPLICATE_FAKE_API_KEY,
  type ReplicateFake,
  replicateErrorBody,
  startReplicateFake,
} from '../../../src/simulated/replicate-fake.js';
import { createCallbackServer } from '../../../src/webhooks/callback-server.js';
import { callbackUrl } from '../../../src/webhooks/callback-token.js';
import { imageResolver } from './adapter-cases.js';
import { http, rejection, settled } from './provider-test-support.js';

const IMAGE = 'https://images.example/cat.png';
const END = 'https://images.example/cat-end.png';
const CALLBACK = 'http://127.0.0.1:9/callbacks/wf-1/1/0123456789abcdef0123456789abcdef';

const unified = (input: Partial<UnifiedRequestInput> = {}) =>
  unifiedRequestSchema.parse({ prompt: 'a cat in a garden', ...input });

describe('Replicate adapter against its fake', () => {
  let fake: ReplicateFake;
  let adapter: ProviderAdapter;
  const submit = (input: Partial<UnifiedRequestInput>, callbackUrl?: string) =>
    adapter.submit(unified(input), {
      images: imageResolver(),
      ...(callbackUrl ? { callbackUrl } : {}),
    });
  const lastSubmit = () => fake.requestsFor('submit').at(-1)!;

  beforeAll(async () => {
    fake = await startReplicateFake({ renderMs: 150 });
    adapter = createReplicateProvider({
      apiKey: REPLICATE_FAKE_API_KEY,
      baseUrl: fake.baseUrl,
      http,
    });
  });
  afterEach(() => {
    fake.clearFaults();
    fake.pageSize = 100;
  });
  afterAll(async () => {
    await fake.stop();
  });

  describe('submit wire format', () => {
    it('posts {input, webhook, webhook_events_filter: ["completed"]} to the model path', async () => {
      await submit(
        { model: 'kling-v2.1', mode: 'pro', startImage: IMAGE, endImage: END },
        CALLBACK,
      );
      const sent = lastSubmit();
      expect(sent.path).toBe('/v1/models/kwaivgi/kling-v2.1/predictions');
      expect(sent.headers.authorization).toBe(`Bearer ${REPLICATE_FAKE_API_KEY}`);
      expect(sent.json).toEqual({
        input: {
          prompt: 'a cat in a garden',
          duration: 5,
          mode: 'pro',
          start_image: IMAGE,
          end_image: END,
        },
        webhook: `${CALLBACK}?${REPLICATE_WEBHOOK_MARKER}`,
        webhook_events_filter: ['completed'],
      });
    });

    it('sends no webhook fields without a callback URL, and v1.6 text-to-video fields', async () => {
      await submit({ model: 'kling-v1.6', aspectRatio: '1:1', cfgScale: 0.5, duration: 10 });
      expect(lastSubmit().path).toBe('/v1/models/kwaivgi/kling-v1.6-standard/predictions');
      expect(lastSubmit().json).toEqual({
        input: { prompt: 'a cat in a garden', duration: 10, aspect_ratio: '1:1', cfg_scale: 0.5 },
      });
    });

    it('keeps urls.get and urls.cancel in the handle', async () => {
      const { taskId, handle } = await submit({ model: 'kling-v1.6' });
      expect(handle).toEqual({
        provider: 'replicate',
        taskId,
        getUrl: `${fake.origin}/v1/predictions/${taskId}`,
        cancelUrl: `${fake.origin}/v1/predictions/${taskId}/cancel`,
      });
    });
  });

  describe('status', () => {
    it('maps starting → queued, then reads the output URI once succeeded', async () => {
      fake.holdNextTaskQueued(1_000);
      const { handle } = await submit({ model: 'kling-v1.6' });
      expect((await adapter.status(handle, {})).state).toBe('queued');
      expect(await settled(adapter, handle)).toEqual({
        state: 'succeeded',
        videos: [{ url: `${fake.origin}/files/${handle.taskId}.mp4` }],
      });
    });

    it('reports failed with the prediction error, classified', async () => {
      fake.queueOutcome({ type: 'fail', message: 'NSFW content detected' });
      const { handle } = await submit({ model: 'kling-v1.6' });
      expect(await settled(adapter, handle)).toMatchObject({
        state: 'failed',
        kind: 'content-rejected',
        reason: 'NSFW content detected',
      });
    });
  });

  describe('cancel', () => {
    it('cancels a prediction in flight (POST urls.cancel); it then reads as canceled', async () => {
      const { handle } = await submit({ model: 'kling-v1.6' });
      expect((await adapter.cancel!(handle, {})).outcome).toBe('cancelled');
      expect(await settled(adapter, handle)).toMatchObject({
        state: 'failed',
        reason: 'the prediction was canceled',
      });
    });

    it('says already-finished after success, not-found for an unknown prediction', async () => {
      const { handle } = await submit({ model: 'kling-v1.6' });
      await settled(adapter, handle);
      expect((await adapter.cancel!(handle, {})).outcome).toBe('already-finished');
      const unknown = { ...handle, cancelUrl: `${fake.origin}/v1/predictions/nope/cancel` };
      expect((await adapter.cancel!(unknown, {})).outcome).toBe('not-found');
    });
  });

  describe('ambiguous submit: findTask lists predictions and matches the webhook URL', () => {
    it('adopts the prediction a cut-off submit created', async () => {
      const callbackUrl = `${CALLBACK}-found`;
      fake.injectFault({ route: 'submit', fault: { type: 'accept-then-cut' }, times: 1 });
      const error = await rejection(submit({ model: 'kling-v1.6' }, callbackUrl));
      expect(error.ambiguous).toBe(true);
      // Other predictions after it push it onto a later page.
      fake.pageSize = 2;
      for (let index = 0; index < 3; index++) await submit({ model: 'kling-v1.6' });
      const created = [...fake.tasks.values()].find(
        (task) => task.request.webhook === replicateWebhookUrl(callbackUrl),
      );
      const found = await adapter.findTask!('kf-unused', unified(), { callbackUrl });
      expect(found?.taskId).toBe(created?.id);
      expect(found?.handle.getUrl).toBe(`${fake.origin}/v1/predictions/${created?.id}`);
      expect(fake.requestsFor('list').length).toBeGreaterThan(1);
    });

    it('answers absent when the whole listing lacks the webhook URL', async () => {
      fake.injectFault({ route: 'submit', fault: { type: 'reset' }, times: 1 });
      const callbackUrl = `${CALLBACK}-absent`;
      await rejection(submit({ model: 'kling-v1.6' }, callbackUrl));
      expect(await adapter.findTask!('kf-unused', unified(), { callbackUrl })).toBeUndefined();
    });

    it('answers absent without a callback URL (nothing to match), never by guessing', async () => {
      const before = fake.requestsFor('list').length;
      expect(await adapter.findTask!('kf-unused', unified(), {})).toBeUndefined();
      expect(fake.requestsFor('list').length).toBe(before);
    });

    it('throws transient when the listing cannot be read (the task may exist)', async () => {
      fake.injectFault({ route: 'list', fault: { type: 'status', status: 500 }, times: 1 });
      const error = await rejection(adapter.findTask!('kf', unified(), { callbackUrl: CALLBACK }));
      expect(error.kind).toBe('transient');
    });

    it('declares lookup adopt-only: no idempotency key, so absent never allows a resend', () => {
      expect(REPLICATE_OFFERING.capabilities.lookup).toBe('adopt-only');
      expect(REPLICATE_OFFERING.capabilities.idempotentSubmit).toBe(false);
    });
  });

  describe('webhook', () => {
    it('delivers a finished prediction over 64 KB to the callback server, which signals', async () => {
      const secret = 'replicate-webhook-test-secret-0123';
      const signals: number[] = [];
      const server = await createCallbackServer({
        port: 0,
        host: '127.0.0.1',
        secret,
        client: {
          workflow: {
            getHandle: () => ({
              signal: async (_definition, { attempt }) => {
                signals.push(attempt);
              },
            }),
          },
        },
      });
      try {
        fake.webhookLogBytes = 100_000;
        const url = callbackUrl(`http://127.0.0.1:${server.port}`, secret, 'job-r', 2);
        const { taskId } = await submit({ model: 'kling-v1.6' }, url);
        const sent = await vi.waitFor(
          () => {
            const found = fake.sentCallbacks.find((callback) => callback.taskId === taskId);
            if (!found) throw new Error('no callback yet');
            return found;
          },
          { timeout: 5000, interval: 20 },
        );
        expect(JSON.stringify(sent?.body).length).toBeGreaterThan(64 * 1024);
        expect(sent?.body).toMatchObject({ status: 'succeeded' });
        expect(sent?.status).toBe(200);
        expect(signals).toEqual([2]);
      } finally {
        fake.webhookLogBytes = 0;
        await server.close();
      }
    });
  });

  describe('errors', () => {
    it('classifies 402 insufficient credit as provider-unavailable', async () => {
      fake.injectFault({
        route: 'submit',
        fault: {
          type: 'status',
          status: 402,
          body: replicateErrorBody(402, 'You have insufficient credit', 'Insufficient credit'),
        },
        times: 1,
      });
      const error = await rejection(submit({ model: 'kling-v1.6' }));
      expect(error.kind).toBe('provider-unavailable');
      expect(error.ambiguous).toBe(false);
    });

    it('classifies a 422 input validation answer as invalid-request', async () => {
      const error = await rejection(
        submit({
          model: 'kling-v1.6',
          providerOptions: { replicate: { guidance: 'x', cfg_scale: 3 } },
        }),
      );
      expect(error.kind).toBe('invalid-request');
      expect(error.message).toContain('Input validation failed');
    });
  });
});

describe('Replicate catalog', () => {
  it('prices every offered row at the assumed rate, in USD', () => {
    for (const offer of REPLICATE_OFFERS) {
      for (const mode of offer.modes) {
        for (const duration of offer.durations) {
          const request = unified({
            model: offer.model,
            mode,
            duration,
            ...(offer.startImage === 'required' ? { startImage: IMAGE } : {}),
          });
          const usd = Math.round(REPLICATE_ASSUMED_USD_PER_SECOND * duration * 10_000) / 10_000;
          expect(priceReplicate(request)).toEqual({ amount: usd, unit: 'USD', usd });
        }
      }
    }
    expect(priceReplicate(unified({ model: 'kling-v2.1-master', duration: 10 })).amount).toBe(2.8);
  });

  it('requires a start image on kling-v2.1 and an end image only in pro', () => {
    const check = (input: Partial<UnifiedRequestInput>) =>
      REPLICATE_OFFERING.check(unified({ model: 'kling-v2.1', ...input })).issues;
    expect(check({})).toEqual([expect.objectContaining({ field: 'startImage' })]);
    expect(check({ startImage: IMAGE, endImage: END })).toEqual([
      expect.objectContaining({ field: 'endImage', allowed: ['pro'] }),
    ]);
  });
});
