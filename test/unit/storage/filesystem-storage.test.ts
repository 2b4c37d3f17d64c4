import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mp4Bytes } from '../../../src/simulated/sample-video.js';
import {
  createFilesystemStorage,
  type FilesystemStorage,
} from '../../../src/storage/filesystem-storage.js';
import { storageKeyFor, type VideoSidecar } from '../../../src/storage/video-storage.js';
import { tempFileOfKilledWriter } from '../../support/killed-writer.js';

let root: string;
let storage: FilesystemStorage;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'klingflow-storage-'));
  storage = createFilesystemStorage({ rootDirectory: root });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function stageDownload(key: string, bytes: Uint8Array): Promise<string> {
  const tempPath = storage.partialPath(key);
  await mkdir(dirname(tempPath), { recursive: true });
  await writeFile(tempPath, bytes);
  return tempPath;
}

function sidecarFor(bytes: Uint8Array, extra: Record<string, unknown> = {}): VideoSidecar {
  return {
    sha256: sha256(bytes),
    bytes: bytes.byteLength,
    sourceUrl: 'https://cdn.example.com/v.mp4',
    storedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

describe('filesystem storage: partial files', () => {
  it('derives the same partial path under <root>/.partial for every process sharing the disk', () => {
    const other = createFilesystemStorage({ rootDirectory: root });

    expect(storage.partialPath('job-1-0')).toBe(join(root, '.partial', 'job-1-0.mp4.part'));
    expect(other.partialPath('job-1-0')).toBe(storage.partialPath('job-1-0'));
  });

  it.each(['../escape', 'a/b', '', '.hidden', 'x'.repeat(201), 'a\0b'])(
    'refuses the unsafe key %j',
    (key) => {
      expect(() => storage.partialPath(key)).toThrow(
        expect.objectContaining({ kind: 'invalid-key' }),
      );
    },
  );

  it('removes a partial file, and does not mind when there is none', async () => {
    const tempPath = await stageDownload('job-1-0', mp4Bytes());

    await storage.removePartial('job-1-0');
    await storage.removePartial('job-1-0');

    expect(existsSync(tempPath)).toBe(false);
  });

  it('clears the sidecar temp file of a worker killed mid-write, and keeps downloads in progress', async () => {
    await mkdir(join(root, '.partial'), { recursive: true });
    const abandoned = await tempFileOfKilledWriter(join(root, '.partial'), 'job-1-0.json');
    const inProgress = await stageDownload('job-2-0', mp4Bytes());
    const bytes = mp4Bytes();
    const tempPath = await stageDownload('job-1-0', bytes);

    await storage.commitVideo({ key: 'job-1-0', tempPath, sidecar: sidecarFor(bytes) });

    expect(existsSync(abandoned)).toBe(false);
    expect(await readdir(join(root, '.partial'))).toEqual([basename(inProgress)]);
  });
});

describe('filesystem storage: committing videos', () => {
  it('moves the verified file to <root>/<key>.mp4 with a JSON sidecar and returns its absolute path', async () => {
    const video = mp4Bytes(50_000);
    const tempPath = await stageDownload('job-1-0', video);
    const finalPath = join(root, 'job-1-0.mp4');
    expect(existsSync(finalPath)).toBe(false);

    const stored = await storage.commitVideo({
      tempPath,
      key: 'job-1-0',
      sidecar: sidecarFor(video, { workflowId: 'job-1' }),
    });

    expect(stored).toEqual({
      path: finalPath,
      sha256: sha256(video),
      bytes: video.length,
      sourceUrl: 'https://cdn.example.com/v.mp4',
    });
    expect(isAbsolute(stored.path)).toBe(true);
    expect(sha256(await readFile(finalPath))).toBe(sha256(video));
    expect(existsSync(tempPath)).toBe(false);
    expect(JSON.parse(await readFile(join(root, 'job-1-0.json'), 'utf8'))).toEqual(
      sidecarFor(video, { workflowId: 'job-1' }),
    );
    // Atomic writes leave no temp files behind.
    expect(await readdir(join(root, '.partial'))).toEqual([]);
  });

  it('resolves a relative root directory to an absolute path', () => {
    const relative = createFilesystemStorage({ rootDirectory: 'videos' });

    expect(relative.videoPath('a')).toBe(join(process.cwd(), 'videos', 'a.mp4'));
  });

  it('refuses a file whose content does not match the sha256, and publishes nothing', async () => {
    const video = mp4Bytes(50_000);
    const tempPath = await stageDownload('job-1-0', video);

    await expect(
      storage.commitVideo({
        tempPath,
        key: 'job-1-0',
        sidecar: { ...sidecarFor(video), sha256: 'f'.repeat(64) },
      }),
    ).rejects.toMatchObject({ kind: 'checksum-mismatch' });
    expect(existsSync(join(root, 'job-1-0.mp4'))).toBe(false);
    expect(existsSync(join(root, 'job-1-0.json'))).toBe(false);
  });

  it('refuses a file whose size does not match', async () => {
    const video = mp4Bytes(50_000);
    const tempPath = await stageDownload('job-1-0', video);

    await expect(
      storage.commitVideo({
        tempPath,
        key: 'job-1-0',
        sidecar: { ...sidecarFor(video), bytes: 49_999 },
      }),
    ).rejects.toMatchObject({ kind: 'checksum-mismatch' });
  });

  it('succeeds without change when the same video is committed again', async () => {
    const video = mp4Bytes(50_000);
    const tempPath = await stageDownload('job-1-0', video);
    const first = await storage.commitVideo({
      tempPath,
      key: 'job-1-0',
      sidecar: sidecarFor(video),
    });
    const before = await stat(first.path);
    const sidecarBefore = await readFile(join(root, 'job-1-0.json'), 'utf8');

    // A retried download staged the same bytes again.
    await stageDownload('job-1-0', video);
    const second = await storage.commitVideo({
      tempPath,
      key: 'job-1-0',
      sidecar: sidecarFor(video, { storedAt: '2030-01-01T00:00:00.000Z' }),
    });

    expect(second).toEqual(first);
    const after = await stat(first.path);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await readFile(join(root, 'job-1-0.json'), 'utf8')).toBe(sidecarBefore);
    expect(existsSync(tempPath)).toBe(false);
  });

  it('succeeds when a crash came right after the move: temp file gone, sidecar missing', async () => {
    const video = mp4Bytes(50_000);
    const tempPath = await stageDownload('job-1-0', video);
    await storage.commitVideo({ tempPath, key: 'job-1-0', sidecar: sidecarFor(video) });
    await rm(join(root, 'job-1-0.json'));

    const stored = await storage.commitVideo({
      tempPath,
      key: 'job-1-0',
      sidecar: sidecarFor(video),
    });

    expect(stored.sha256).toBe(sha256(video));
    expect(JSON.parse(await readFile(join(root, 'job-1-0.json'), 'utf8'))).toMatchObject({
      sha256: sha256(video),
    });
  });

  it('refuses to replace a different video already stored under the key', async () => {
    const first = mp4Bytes(50_000);
    const second = mp4Bytes(60_000);
    await storage.commitVideo({
      tempPath: await stageDownload('job-1-0', first),
      key: 'job-1-0',
      sidecar: sidecarFor(first),
    });

    await expect(
      storage.commitVideo({
        tempPath: await stageDownload('job-1-0', second),
        key: 'job-1-0',
        sidecar: sidecarFor(second),
      }),
    ).rejects.toMatchObject({ kind: 'conflict' });
    expect(sha256(await readFile(join(root, 'job-1-0.mp4')))).toBe(sha256(first));
  });

  it('reports a missing download when neither the temp file nor the video exists', async () => {
    await expect(
      storage.commitVideo({
        tempPath: storage.partialPath('job-1-0'),
        key: 'job-1-0',
        sidecar: sidecarFor(mp4Bytes()),
      }),
    ).rejects.toMatchObject({ kind: 'missing-temp' });
  });

  it('only commits files from its own staging directory', async () => {
    const outside = join(root, 'elsewhere.mp4');
    await writeFile(outside, mp4Bytes());

    await expect(
      storage.commitVideo({ tempPath: outside, key: 'job-1-0', sidecar: sidecarFor(mp4Bytes()) }),
    ).rejects.toMatchObject({ kind: 'invalid-temp-path' });
    expect(existsSync(outside)).toBe(true);
  });
});

describe('filesystem storage: blobs', () => {
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  );

  it('stores bytes content-addressed and reads them back with their content type', async () => {
    const reference = await storage.putBlob(png, 'image/png');

    expect(reference).toBe(`blob:sha256:${sha256(png)}`);
    expect(existsSync(join(root, '.blobs', sha256(png)))).toBe(true);
    const blob = await storage.readBlob(reference);
    expect(Buffer.from(blob.bytes).equals(png)).toBe(true);
    expect(blob.contentType).toBe('image/png');
  });

  it('gives the same reference for the same bytes, and a second store is harmless', async () => {
    const first = await storage.putBlob(png, 'image/png');
    const second = await storage.putBlob(png, 'image/png; charset=binary');

    expect(second).toBe(first);
    expect((await readdir(join(root, '.blobs'))).sort()).toEqual(
      [sha256(png), `${sha256(png)}.json`].sort(),
    );
  });

  it('refuses a blob whose bytes no longer match its hash', async () => {
    const reference = await storage.putBlob(png, 'image/png');
    const damaged = Buffer.from(png);
    damaged[20] = (damaged[20] ?? 0) ^ 0xff;
    await writeFile(join(root, '.blobs', sha256(png)), damaged);

    await expect(storage.readBlob(reference)).rejects.toMatchObject({ kind: 'checksum-mismatch' });
  });

  it('reports an unknown blob and a malformed reference with distinct kinds', async () => {
    await expect(storage.readBlob(`blob:sha256:${'0'.repeat(64)}`)).rejects.toMatchObject({
      kind: 'blob-not-found',
    });
    await expect(storage.readBlob('blob:sha256:../../etc/passwd')).rejects.toMatchObject({
      kind: 'invalid-blob-reference',
    });
  });
});

describe('storageKeyFor', () => {
  it('keeps letters, digits and dashes as they are', () => {
    expect(storageKeyFor('job-1')).toBe('job-1');
  });

  it('gives ids that differ only in unsafe characters different keys', () => {
    const keys = ['a:b', 'a b', 'a/b', 'a_b', 'a.b', 'a%b', 'a_3Ab'].map((id) => storageKeyFor(id));
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(() => storage.partialPath(key)).not.toThrow();
  });

  it('never gives a video of a multi-video job the key of another job', () => {
    const second = storageKeyFor('X', 1, 2);
    expect(second).not.toBe(storageKeyFor('X-2'));
    expect(second).not.toBe(storageKeyFor('X_v2'));
    expect(second).not.toBe(storageKeyFor('X-1'));
    expect(storageKeyFor('X', 0, 2)).not.toBe(storageKeyFor('X'));
  });

  it('makes valid, distinct keys of leading dots, non-ASCII and over-long ids', () => {
    const ids = ['../../etc', '.x', 'ünïcode', '视频', 'x'.repeat(300), `${'x'.repeat(299)}y`];
    const keys = ids.map((id) => storageKeyFor(id, 0, 3));
    expect(new Set(keys).size).toBe(ids.length);
    for (const key of keys) expect(() => storage.partialPath(key)).not.toThrow();
  });
});
