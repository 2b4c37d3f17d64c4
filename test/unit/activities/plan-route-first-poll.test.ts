import { describe, expect, it } from 'vitest';
import { firstPollWaitMs } from '../../../src/activities/plan-route-first-poll.js';
import { parseUnifiedRequest } from '../../../src/request/parse-request.js';
import type { RenderTimeStore } from '../../../src/storage/render-time-store.js';

const request = parseUnifiedRequest({ prompt: 'a heron', model: 'kling-v1.6' });

/** A store holding these renders for `kling/kling-v1.6/std/5s` only. */
function storeWith(renders: number[]): RenderTimeStore {
  return {
    samples: async (key) => (key === 'kling/kling-v1.6/std/5s' ? renders : []),
    record: async () => {},
  };
}

const learned = [200_000, 210_000, 220_000, 230_000, 240_000, 250_000];

describe('first-poll wait of a route entry', () => {
  it('uses the learned low percentile for the provider and request', async () => {
    const wait = await firstPollWaitMs(
      { initialWaitShare: 0.8, renderTimes: storeWith(learned) },
      'kling',
      request,
      240,
    );
    expect(wait).toBe(205_000);
  });

  it('falls back to the catalog share without a store or without history for the key', async () => {
    expect(await firstPollWaitMs({ initialWaitShare: 0.8 }, 'kling', request, 240)).toBe(192_000);
    expect(
      await firstPollWaitMs(
        { initialWaitShare: 0.8, renderTimes: storeWith(learned) },
        'fal',
        request,
        240,
      ),
    ).toBe(192_000);
  });

  it("keeps the operator's fixed wait over anything learned", async () => {
    expect(
      await firstPollWaitMs(
        { initialWaitShare: 0.8, initialWaitMs: 5_000, renderTimes: storeWith(learned) },
        'kling',
        request,
        240,
      ),
    ).toBe(5_000);
  });

  it('plans from the catalog guess when the store cannot be read', async () => {
    const broken: RenderTimeStore = {
      samples: () => Promise.reject(new Error('disk gone')),
      record: async () => {},
    };
    expect(
      await firstPollWaitMs({ initialWaitShare: 0.8, renderTimes: broken }, 'kling', request, 240),
    ).toBe(192_000);
  });
});
