import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CheckTaskInput, createCheckTask } from '../../../src/activities/check-task.js';
import { FailureTypes, type PollOutput } from '../../../src/contracts/generation.js';
import type { ProviderRegistry } from '../../../src/providers/registry.js';
import type { RenderTimeStore } from '../../../src/storage/render-time-store.js';
import { type DownloadServer, startDownloadServer } from '../../support/download-server.js';

let server: DownloadServer;
let learned: [string, number][];

beforeEach(async () => {
  server = await startDownloadServer('check-task-test');
  learned = [];
});

afterEach(() => server.stop());

/** checkTask against a provider whose task is done, with one video on the download server. */
function checkTask() {
  const video = { url: `${server.fake.origin}/files/task-3.mp4` };
  const providers = {
    require: () => ({ status: async () => ({ state: 'succeeded', videos: [video] }) }),
  } as unknown as ProviderRegistry;
  const renderTimes: RenderTimeStore = {
    samples: async () => [],
    record: async (key, renderMs) => {
      learned.push([key, renderMs]);
    },
  };
  const { dispatcher, storage } = server;
  return createCheckTask({
    providers,
    routing: { renderTimes },
    download: { storage, dispatcher, allowPrivateNetwork: true },
  });
}

const input: CheckTaskInput = {
  handle: { provider: 'hyprlab', taskId: 'task-3' },
  untilDone: true,
  renderTiming: {
    key: 'hyprlab/kling-v1.6/std/5',
    acceptedAt: Date.now() - 60_000,
    pollIntervalMs: 1000,
  },
  delivery: { key: 'job-3-0', sidecar: { workflowId: 'job-3' } },
};

function attempt(heartbeatDetails?: unknown) {
  const env = new MockActivityEnvironment(
    {
      attempt: heartbeatDetails === undefined ? 1 : 2,
      scheduledTimestampMs: Date.now(),
      scheduleToCloseTimeoutMs: 3_600_000,
      ...(heartbeatDetails !== undefined ? { heartbeatDetails } : {}),
    },
    { logger: new DefaultLogger('ERROR') },
  );
  return env.run(checkTask(), input) as Promise<PollOutput>;
}

describe('checkTask finding a task done (job-v6, delivering)', () => {
  it('learns its render time and delivers the video in the same attempt', async () => {
    const output = await attempt();
    expect(output.status.state).toBe('succeeded');
    expect(output.stored?.path).toBe(server.storage.videoPath('job-3-0'));
    expect(learned.map(([key]) => key)).toEqual(['hyprlab/kling-v1.6/std/5']);
  });

  it('does not learn it again when a retried attempt resumes the delivery', async () => {
    const output = await attempt({ offset: 0 });
    expect(output.stored?.path).toBe(server.storage.videoPath('job-3-0'));
    expect(learned).toEqual([]);
  });
});

describe('checkTask waiting for its first status call (job-v4)', () => {
  const TEN_SECONDS = 10_000;

  /** The first attempt's "retry me later" delay, in ms; it must make no status call. */
  async function firstRetryDelay(wait: Partial<CheckTaskInput>, scheduledMsAgo: number) {
    const providers = {
      require: () => ({
        status: async () => {
          throw new Error('the first attempt of a waiting poll must not call the provider');
        },
      }),
    } as unknown as ProviderRegistry;
    const env = new MockActivityEnvironment(
      { attempt: 1, currentAttemptScheduledTimestampMs: Date.now() - scheduledMsAgo },
      { logger: new DefaultLogger('ERROR') },
    );
    const poll: CheckTaskInput = {
      handle: { provider: 'hyprlab', taskId: 'task-4' },
      untilDone: true,
      firstPollDelayMs: TEN_SECONDS,
      ...wait,
    };
    const failure = await env.run(createCheckTask({ providers }), poll).then(
      () => expect.unreachable('the first attempt should ask to be retried'),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    const { type, nextRetryDelay } = failure as ApplicationFailure;
    expect(type).toBe(FailureTypes.notReady);
    return Number(nextRetryDelay);
  }

  const timing = (acceptedMsAgo: number) => ({
    renderTiming: {
      key: 'hyprlab/kling-v1.6/std/5',
      acceptedAt: Date.now() - acceptedMsAgo,
      pollIntervalMs: 1000,
    },
  });

  it('counts the wait from when the provider accepted the task, like the learned times', async () => {
    // Accepted 3 s ago, this poll scheduled 1 s ago: 7 s are left, not 9.
    const delay = await firstRetryDelay(timing(3_000), 1_000);
    expect(delay).toBeGreaterThan(6_800);
    expect(delay).toBeLessThanOrEqual(7_000);
  });

  it('calls at once when the render time has already passed since acceptance', async () => {
    expect(await firstRetryDelay(timing(TEN_SECONDS + 5_000), 0)).toBe(1);
  });

  it('counts from its own scheduling when the acceptance time is not known', async () => {
    const delay = await firstRetryDelay({}, 2_000);
    expect(delay).toBeGreaterThan(7_800);
    expect(delay).toBeLessThanOrEqual(8_000);
  });
});

describe('checkTask told "no such task" by the provider that accepted it', () => {
  /** One status check of a task the provider answers not-found for, accepted `msAgo`. */
  async function notFoundFor(
    msAgo: number,
    mode: 'polled' | 'callback' = 'polled',
  ): Promise<unknown> {
    const providers = {
      require: () => ({
        status: async () => ({
          state: 'failed',
          reason: 'HyprLab no longer knows task task-5 (not found)',
          kind: 'provider-unavailable',
          notFound: true,
        }),
      }),
    } as unknown as ProviderRegistry;
    const env = new MockActivityEnvironment(
      { attempt: 2, scheduledTimestampMs: Date.now() },
      { logger: new DefaultLogger('ERROR') },
    );
    const handle = { provider: 'hyprlab', taskId: 'task-5' } as const;
    const poll: CheckTaskInput =
      mode === 'polled'
        ? {
            handle,
            untilDone: true,
            renderTiming: {
              key: 'hyprlab/kling-v1.6/std/5',
              acceptedAt: Date.now() - msAgo,
              pollIntervalMs: 1000,
            },
          }
        : { handle, untilDone: false };
    return env.run(createCheckTask({ providers }), poll).catch((error: unknown) => error);
  }

  // However long ago it was accepted: the provider took the task, and not-found is not failed.
  it.each([
    ['just after acceptance (a replica behind the write)', 5_000, 'polled'],
    ['two hours after acceptance', 2 * 3_600_000, 'polled'],
    ['in a callback-woken check', 2 * 3_600_000, 'callback'],
  ] as const)('checks again, never ending the attempt as failed: %s', async (_, msAgo, mode) => {
    const failure = await notFoundFor(msAgo, mode);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe(FailureTypes.transient);
    expect((failure as Error).message).toContain('checking again');
  });
});
