import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CheckTaskInput, createCheckTask } from '../../../src/activities/check-task.js';
import type { PollOutput } from '../../../src/contracts/generation.js';
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
