import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deliverInPoll,
  keepPollAlive,
  MIN_DELIVERY_WINDOW_MS,
} from '../../../src/activities/deliver-in-poll.js';
import type { DownloadProgress } from '../../../src/activities/download-video.js';
import type { PollDelivery, StoredVideoRecord } from '../../../src/contracts/generation.js';
import type { FakeProviderServer } from '../../../src/simulated/fake-server.js';
import type { FilesystemStorage } from '../../../src/storage/filesystem-storage.js';
import {
  type DownloadServer,
  stallRoute,
  startDownloadServer,
} from '../../support/download-server.js';

const KEY = 'job-7-0';
const HOUR_MS = 3_600_000;

let server: DownloadServer;
let fake: FakeProviderServer;
let dispatcher: Agent;
let storage: FilesystemStorage;

beforeEach(async () => {
  server = await startDownloadServer('deliver-in-poll-test', {
    routes: [stallRoute],
    videoBytes: 256 * 1024,
  });
  ({ fake, dispatcher, storage } = server);
});

afterEach(() => server.stop());

const delivery: PollDelivery = {
  key: KEY,
  sidecar: { workflowId: 'job-7', provider: 'hyprlab', spend: { usd: 0.2 } },
};

/** A poll attempt with `windowMs` of its schedule-to-close left. */
function pollAttempt(windowMs = HOUR_MS, heartbeatDetails?: unknown) {
  const env = new MockActivityEnvironment(
    {
      scheduledTimestampMs: Date.now(),
      scheduleToCloseTimeoutMs: windowMs,
      ...(heartbeatDetails !== undefined ? { heartbeatDetails, attempt: 3 } : {}),
    },
    { logger: new DefaultLogger('ERROR') },
  );
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  const deliver = (videos: { url: string }[]) =>
    env.run(() =>
      deliverInPoll(
        { storage, dispatcher, allowPrivateNetwork: true, heartbeatEveryBytes: 1024 },
        delivery,
        videos,
        Context.current(),
      ),
    ) as Promise<StoredVideoRecord | undefined>;
  return { env, heartbeats, deliver };
}

function video(name = 'task-7.mp4') {
  return { url: `${fake.origin}/files/${name}` };
}

describe('deliverInPoll (job-v6: the poll that finds the task done delivers its video)', () => {
  it('downloads, verifies and stores the one video with the sidecar the workflow gave', async () => {
    const stored = await pollAttempt().deliver([video()]);

    const bytes = fake.videoBuffer;
    expect(stored).toEqual({
      path: storage.videoPath(KEY),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      sourceUrl: video().url,
    });
    expect(Buffer.compare(await readFile(storage.videoPath(KEY)), bytes)).toBe(0);
    const sidecar = JSON.parse(await readFile(storage.sidecarPath(KEY), 'utf8'));
    expect(sidecar).toMatchObject({ ...delivery.sidecar, sha256: stored!.sha256 });
    expect(typeof sidecar.finishedAt).toBe('string');
  });

  it('leaves a task with several videos to the download activity, fetching nothing', async () => {
    const stored = await pollAttempt().deliver([video('a.mp4'), video('b.mp4')]);
    expect(stored).toBeUndefined();
    expect(fake.requestsFor('download')).toHaveLength(0);
  });

  it('leaves the video to the download activity when little of the poll window is left', async () => {
    const stored = await pollAttempt(MIN_DELIVERY_WINDOW_MS - 60_000).deliver([video()]);
    expect(stored).toBeUndefined();
    expect(fake.requestsFor('download')).toHaveLength(0);
  });

  it('hands a failed download over to the download activity instead of failing the poll', async () => {
    fake.injectFault({ route: 'download', fault: { type: 'status', status: 503 }, times: 1 });
    const stored = await pollAttempt().deliver([video()]);
    expect(stored).toBeUndefined();
    expect(fake.requestsFor('download')).toHaveLength(1);
    expect(existsSync(storage.videoPath(KEY))).toBe(false);
  });

  it('rethrows a cancellation (the job was cancelled) and removes the partial file', async () => {
    const { env, deliver } = pollAttempt();
    const firstBytes = new Promise<void>((resolve) =>
      env.on('heartbeat', (beat: DownloadProgress) => beat.offset > 0 && resolve()),
    );
    const running = deliver([{ url: `${fake.origin}/stall/task-7.mp4` }]).catch(
      (error: unknown) => error,
    );
    await firstBytes;
    env.cancel();

    const outcome = await running;
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).name).toMatch(/Cancel|Abort/);
    expect(existsSync(storage.partialPath(KEY))).toBe(false);
  });
});

describe('deliverInPoll when its worker stops (SIGTERM, a deploy)', () => {
  it('rethrows, keeping the partial file and its heartbeated offset for the retried poll', async () => {
    const { env, heartbeats, deliver } = pollAttempt();
    const firstBytes = new Promise<void>((resolve) =>
      env.on('heartbeat', (beat: DownloadProgress) => beat.offset > 0 && resolve()),
    );
    const running = deliver([{ url: `${fake.origin}/stall/task-7.mp4` }]).catch(
      (error: unknown) => error,
    );
    await firstBytes;
    env.cancel('WORKER_SHUTDOWN');

    expect(await running).toBeInstanceOf(Error);
    expect(existsSync(storage.partialPath(KEY))).toBe(true);
    const last = heartbeats.at(-1) as DownloadProgress;
    expect(last.offset).toBeGreaterThan(0);
  });
});

describe('keepPollAlive', () => {
  it("beats with the earlier attempts' details, so a slow status call keeps a download's progress", async () => {
    const earlier: DownloadProgress = { offset: 4096, validator: '"v1"' };
    const { env, heartbeats } = pollAttempt(HOUR_MS, earlier);
    await env.run(async () => {
      const stop = keepPollAlive(Context.current());
      try {
        await new Promise<void>((resolve) => env.on('heartbeat', () => resolve()));
      } finally {
        stop();
      }
    });
    expect(heartbeats[0]).toEqual(earlier);
  });
});
