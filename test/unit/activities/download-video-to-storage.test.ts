import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DownloadProgress } from '../../../src/activities/download-video.js';
import {
  createDownloadVideoToStorage,
  type DownloadVideoToStorageInput,
} from '../../../src/activities/download-video-to-storage.js';
import type { FakeProviderServer } from '../../../src/simulated/fake-server.js';
import { mp4Bytes } from '../../../src/simulated/sample-video.js';
import type { FilesystemStorage } from '../../../src/storage/filesystem-storage.js';
import type { StoredVideo } from '../../../src/storage/video-storage.js';
import { type DownloadServer, startDownloadServer } from '../../support/download-server.js';

const KEY = 'job-9-0';

let server: DownloadServer;
let fake: FakeProviderServer;
let dispatcher: Agent;
let storage: FilesystemStorage;

beforeEach(async () => {
  server = await startDownloadServer('download-store-test');
  ({ fake, dispatcher, storage } = server);
});

afterEach(() => server.stop());

function activity(heartbeatEveryBytes: number) {
  return createDownloadVideoToStorage({
    storage,
    dispatcher,
    allowPrivateNetwork: true,
    heartbeatEveryBytes,
  });
}

function run(
  input: DownloadVideoToStorageInput,
  resume?: DownloadProgress,
  heartbeatEveryBytes = 1024,
) {
  const env = new MockActivityEnvironment(
    resume ? { heartbeatDetails: resume, attempt: 2 } : undefined,
    { logger: new DefaultLogger('ERROR') },
  );
  const heartbeats: DownloadProgress[] = [];
  env.on('heartbeat', (details: DownloadProgress) => heartbeats.push(details));
  const result = env.run(activity(heartbeatEveryBytes), input) as Promise<StoredVideo>;
  return { result, heartbeats };
}

function input(): DownloadVideoToStorageInput {
  return {
    url: `${fake.origin}/files/task-9.mp4`,
    key: KEY,
    sidecar: { workflowId: 'job-9', provider: 'hyprlab', sha256: 'bogus' },
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function stage(bytes: Uint8Array): Promise<void> {
  const path = storage.partialPath(KEY);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

describe('downloadVideoToStorage', () => {
  it('downloads, verifies and stores the video with its sidecar in one attempt', async () => {
    const video = fake.videoBuffer;
    const { result, heartbeats } = run(input());
    const stored = await result;

    expect(stored).toEqual({
      path: storage.videoPath(KEY),
      sha256: sha256(video),
      bytes: video.length,
      sourceUrl: input().url,
    });
    expect(Buffer.compare(await readFile(storage.videoPath(KEY)), video)).toBe(0);
    const sidecar = JSON.parse(await readFile(storage.sidecarPath(KEY), 'utf8'));
    expect(sidecar).toMatchObject({
      workflowId: 'job-9',
      provider: 'hyprlab',
      bytes: video.length,
    });
    // The verified hash wins over the caller's field; the commit sets the finish time.
    expect(sidecar.sha256).toBe(sha256(video));
    expect(Date.parse(sidecar.finishedAt)).toBeGreaterThan(0);
    expect(existsSync(storage.partialPath(KEY))).toBe(false);
    // Before committing, a heartbeat recorded the verified staged file for a retry on this host.
    expect(heartbeats.at(-1)?.staged).toEqual({ sha256: sha256(video), bytes: video.length });
  });

  it('sends no heartbeat for a file smaller than a heartbeat is worth, when it is quick', async () => {
    const video = fake.videoBuffer;
    const { result, heartbeats } = run(input(), undefined, video.length + 1);
    expect((await result).sha256).toBe(sha256(video));
    // Each heartbeat is a billable action: a quick small file is fetched again by a retry instead.
    expect(heartbeats).toEqual([]);
  });

  it('records a small staged file when the storage refuses its commit, so a retry commits it', async () => {
    const video = fake.videoBuffer;
    const commit = storage.commitVideo;
    storage.commitVideo = async () => {
      throw new Error('the bucket answered 503');
    };
    try {
      const { result, heartbeats } = run(input(), undefined, video.length + 1);
      await expect(result).rejects.toThrow('503');
      expect(heartbeats.at(-1)?.staged).toEqual({ sha256: sha256(video), bytes: video.length });
    } finally {
      storage.commitVideo = commit;
    }
  });

  it('commits the staged file again without fetching it when it died mid-commit on this host', async () => {
    const video = fake.videoBuffer;
    await stage(video);
    const staged = { sha256: sha256(video), bytes: video.length };

    const stored = await run(input(), { offset: video.length, staged }).result;

    expect(fake.requestsFor('download')).toHaveLength(0);
    expect(stored.sha256).toBe(staged.sha256);
    expect(Buffer.compare(await readFile(storage.videoPath(KEY)), video)).toBe(0);
  });

  it('downloads the whole file again when the staged file is on another host', async () => {
    const video = fake.videoBuffer;
    const staged = { sha256: sha256(video), bytes: video.length };

    const stored = await run(input(), { offset: video.length, staged }).result;

    const requests = fake.requestsFor('download');
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers.range).toBeUndefined();
    expect(stored.sha256).toBe(staged.sha256);
    expect(Buffer.compare(await readFile(storage.videoPath(KEY)), video)).toBe(0);
  });

  it('downloads again when the staged file no longer matches what was verified', async () => {
    const video = fake.videoBuffer;
    const damaged = Buffer.from(video);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 1) ^ 0xff, damaged.length - 1);
    await stage(damaged);
    const staged = { sha256: sha256(video), bytes: video.length };

    const stored = await run(input(), { offset: video.length, staged }).result;

    expect(fake.requestsFor('download')).toHaveLength(1);
    expect(stored.sha256).toBe(sha256(video));
    expect(sha256(await readFile(storage.videoPath(KEY)))).toBe(sha256(video));
  });

  it('fails without retry when a different video is already stored under the key', async () => {
    await writeFile(storage.videoPath(KEY), mp4Bytes(1000));

    const error = await run(input()).result.catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe('StorageConflict');
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
  });
});
