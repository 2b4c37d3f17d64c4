import { Agent } from 'undici';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createPlanRoute } from '../../../src/activities/plan-route.js';
import { createConfiguredProviders } from '../../../src/providers/configured-providers.js';
import { ProviderRegistry } from '../../../src/providers/registry.js';
import { parseUnifiedRequest } from '../../../src/request/parse-request.js';
import type { VideoStorage } from '../../../src/storage/video-storage.js';

const dispatcher = new Agent();
afterAll(() => dispatcher.close());
afterEach(() => {
  vi.useRealTimers();
});

const request = parseUnifiedRequest({ prompt: 'a heron', model: 'kling-v1.6' });

function planner(storedVideoPath: VideoStorage['storedVideoPath']) {
  const providers = new ProviderRegistry(
    createConfiguredProviders(
      { HYPRLAB_API_KEY: 'test-key' },
      { dispatcher, allowPrivateNetwork: false },
    ),
  );
  return createPlanRoute({
    providers,
    routing: { pollIntervalMs: 1000, initialWaitShare: 0.8 },
    storage: { storedVideoPath },
  });
}

describe("route planning and the job's storage key", () => {
  it('plans nothing when a video is already stored under the key, and says where', async () => {
    const plan = await planner(async (key) => (key === 'job-1' ? '/videos/job-1.mp4' : undefined))({
      request,
      storageKeys: ['job-1'],
    });
    expect(plan).toMatchObject({ route: [], skipped: [], taken: '/videos/job-1.mp4' });
  });

  it('plans as usual for a free key, and when the storage fails or does not answer', async () => {
    const free = await planner(async () => undefined)({ request, storageKeys: ['job-2'] });
    expect(free.route.map((entry) => entry.provider)).toEqual(['hyprlab']);
    expect(free.taken).toBeUndefined();

    const failing = await planner(() => Promise.reject(new Error('bucket unreachable')))({
      request,
      storageKeys: ['job-3'],
    });
    expect(failing.route).toHaveLength(1);

    vi.useFakeTimers();
    const silent = planner(() => new Promise(() => {}))({ request, storageKeys: ['job-4'] });
    await vi.advanceTimersByTimeAsync(5_000);
    expect((await silent).route).toHaveLength(1);
  });
});
