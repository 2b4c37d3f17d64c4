import { afterEach, describe, expect, it } from 'vitest';
import { type ProviderProcess, startProviderProcess } from '../../../bench/lib/provider-process.js';

describe('startProviderProcess', () => {
  let provider: ProviderProcess | undefined;
  afterEach(async () => {
    await provider?.stop();
    provider = undefined;
  });

  it('runs the fake in another process and counts the tasks it created', async () => {
    provider = await startProviderProcess({ provider: 'hyprlab', renderMs: 0 });
    const baseUrl = provider.environment.HYPRLAB_BASE_URL;
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(await provider.tasksCreated()).toBe(0);

    const submit = await fetch(`${baseUrl}/video/generations`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${provider.environment.HYPRLAB_API_KEY}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'kling-v1.6-standard', prompt: 'a red fox' }),
    });
    expect(submit.status).toBe(200);
    expect(await provider.tasksCreated()).toBe(1);
  });

  it('stops listening once stopped', async () => {
    const stopped = await startProviderProcess({ provider: 'hyprlab', renderMs: 0 });
    const baseUrl = stopped.environment.HYPRLAB_BASE_URL;
    await stopped.stop();
    await expect(fetch(`${baseUrl}/video/generations`, { method: 'POST' })).rejects.toThrow();
  });
});
