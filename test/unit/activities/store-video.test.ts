import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStoreVideo, type StoreVideoInput } from '../../../src/activities/store-video.js';
import { mp4Bytes } from '../../../src/simulated/sample-video.js';
import {
  createFilesystemStorage,
  type FilesystemStorage,
} from '../../../src/storage/filesystem-storage.js';

const KEY = 'job-7-0';

let root: string;
let storage: FilesystemStorage;
let env: MockActivityEnvironment;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'klingflow-store-'));
  storage = createFilesystemStorage({ rootDirectory: root });
  env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** `MockActivityEnvironment.run` cannot infer the result type; this keeps tests typed. */
function run<I, O>(env: MockActivityEnvironment, activity: (input: I) => Promise<O>, input: I) {
  return env.run(activity, input) as Promise<O>;
}

async function downloaded(bytes: Buffer): Promise<StoreVideoInput> {
  const tempPath = storage.partialPath(KEY);
  await mkdir(dirname(tempPath), { recursive: true });
  await writeFile(tempPath, bytes);
  return {
    tempPath,
    key: KEY,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    sourceUrl: 'https://cdn.example.com/result.mp4?token=abc',
    sidecar: { workflowId: 'job-7', provider: 'hyprlab', model: 'kling-v2.1', sha256: 'bogus' },
  };
}

describe('storeVideo', () => {
  it('publishes the video atomically at <root>/<key>.mp4 with its sidecar', async () => {
    const video = mp4Bytes(40_000);
    const input = await downloaded(video);
    const finalPath = join(root, `${KEY}.mp4`);
    // Nothing is visible at the final path until the one rename that publishes the whole file.
    expect(existsSync(finalPath)).toBe(false);

    const stored = await run(env, createStoreVideo({ storage }), input);

    expect(stored).toEqual({
      path: finalPath,
      sha256: input.sha256,
      bytes: video.length,
      sourceUrl: input.sourceUrl,
    });
    expect(Buffer.compare(await readFile(finalPath), video)).toBe(0);
    expect(existsSync(input.tempPath)).toBe(false);
    const sidecar = JSON.parse(await readFile(join(root, `${KEY}.json`), 'utf8'));
    expect(sidecar).toEqual({
      workflowId: 'job-7',
      provider: 'hyprlab',
      model: 'kling-v2.1',
      // Verified facts override caller fields of the same name.
      sha256: input.sha256,
      bytes: video.length,
      sourceUrl: input.sourceUrl,
      storedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('returns the same result when called again after it succeeded', async () => {
    const input = await downloaded(mp4Bytes(40_000));
    const first = await run(env, createStoreVideo({ storage }), input);

    const second = await run(env, createStoreVideo({ storage }), input);

    expect(second).toEqual(first);
  });

  it('succeeds on retry when the temp file was already moved before a crash', async () => {
    const input = await downloaded(mp4Bytes(40_000));
    await storage.commitVideo({
      tempPath: input.tempPath,
      key: KEY,
      sidecar: {
        sha256: input.sha256,
        bytes: input.bytes,
        sourceUrl: input.sourceUrl,
        storedAt: new Date().toISOString(),
      },
    });
    // The crash hit between the video's rename and the sidecar's.
    await rm(join(root, `${KEY}.json`));
    expect(existsSync(input.tempPath)).toBe(false);

    const stored = await run(env, createStoreVideo({ storage }), input);

    expect(stored.path).toBe(join(root, `${KEY}.mp4`));
    expect(existsSync(join(root, `${KEY}.json`))).toBe(true);
  });

  it('fails without retry when the download is missing, so the workflow downloads again', async () => {
    const input = await downloaded(mp4Bytes(40_000));
    await rm(input.tempPath);

    await expect(run(env, createStoreVideo({ storage }), input)).rejects.toMatchObject({
      type: 'DownloadMissing',
      nonRetryable: true,
    });
  });

  it('fails without retry when the staged file does not match its sha256', async () => {
    const input = await downloaded(mp4Bytes(40_000));

    await expect(
      run(env, createStoreVideo({ storage }), { ...input, sha256: '0'.repeat(64) }),
    ).rejects.toMatchObject({ type: 'DownloadCorrupt', nonRetryable: true });
    expect(existsSync(join(root, `${KEY}.mp4`))).toBe(false);
  });

  it('fails without retry when a different video already has the key', async () => {
    const first = await downloaded(mp4Bytes(40_000));
    await run(env, createStoreVideo({ storage }), first);
    const second = await downloaded(mp4Bytes(50_000));

    await expect(run(env, createStoreVideo({ storage }), second)).rejects.toMatchObject({
      type: 'StorageConflict',
      nonRetryable: true,
    });
  });
});
