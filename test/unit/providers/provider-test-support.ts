import { expect, vi } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { createGuardedAgent } from '../../../src/http/guarded-agent.js';
import type { ProviderAdapter, TaskHandle, TaskStatus } from '../../../src/providers/provider.js';

/** What every adapter under test gets: loopback allowed (the fakes), a short headers timeout (hangs). */
export const http = {
  dispatcher: createGuardedAgent({
    allowPrivateNetwork: true,
    timeouts: { headersTimeoutMs: 2000 },
  }),
  allowPrivateNetwork: true,
};

/** The ProviderError a call rejects with (the test fails if it resolves or throws anything else). */
export async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

/** Polls a task until it leaves queued/running (bounded), and returns its final status. */
export async function settled(adapter: ProviderAdapter, handle: TaskHandle): Promise<TaskStatus> {
  return vi.waitFor(
    async () => {
      const status = await adapter.status(handle, {});
      if (status.state === 'queued' || status.state === 'running') throw new Error(status.state);
      return status;
    },
    { timeout: 5000, interval: 20 },
  );
}
