import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { writeFileAtomically } from './atomic-file.js';
import {
  assertValidKey,
  type BlobReference,
  blobDigest,
  type CommitVideoInput,
  StorageError,
  type StoredBlob,
  type StoredVideo,
  type VideoSidecar,
  type VideoStorage,
} from './video-storage.js';

export interface FilesystemStorageOptions {
  /** `KLINGFLOW_STORAGE_DIR`; relative paths resolve against the working directory. */
  rootDirectory: string;
}

export interface FilesystemStorage extends VideoStorage {
  /** Absolute root directory. */
  readonly rootDirectory: string;
  videoPath(key: string): string;
  sidecarPath(key: string): string;
}

/**
 * Layout under the root:
 *   <key>.mp4, <key>.json     finished videos and their sidecars
 *   .partial/<key>.mp4.part   downloads in progress (and temp files for atomic writes)
 *   .blobs/<sha256>[.json]    content-addressed image blobs and their content-type records
 * Staging lives under the root so every rename stays on one filesystem and is atomic.
 */
export function createFilesystemStorage(options: FilesystemStorageOptions): FilesystemStorage {
  const rootDirectory = resolve(options.rootDirectory);
  const partialDirectory = join(rootDirectory, '.partial');
  const blobDirectory = join(rootDirectory, '.blobs');

  const videoPath = (key: string): string => {
    assertValidKey(key);
    return join(rootDirectory, `${key}.mp4`);
  };
  const sidecarPath = (key: string): string => {
    assertValidKey(key);
    return join(rootDirectory, `${key}.json`);
  };
  const partialPath = (key: string): string => {
    assertValidKey(key);
    return join(partialDirectory, `${key}.mp4.part`);
  };

  /** Temp files live under the root, so the final rename stays on one filesystem. */
  const writeAtomically = (target: string, data: string | Uint8Array): Promise<void> =>
    writeFileAtomically(target, data, partialDirectory);

  const storedVideo = (path: string, sidecar: VideoSidecar): StoredVideo => ({
    path,
    sha256: sidecar.sha256,
    bytes: sidecar.bytes,
    sourceUrl: sidecar.sourceUrl,
  });

  /** The retry path: the video is already in place; finish what a crashed attempt left undone. */
  const confirmExisting = async (
    finalPath: string,
    tempPath: string,
    metadataPath: string,
    input: CommitVideoInput,
  ): Promise<StoredVideo | undefined> => {
    const existing = await sha256OfFileIfExists(finalPath);
    if (existing === undefined) return undefined;
    if (existing !== input.sidecar.sha256) {
      throw new StorageError(
        'conflict',
        `a different video is already stored as ${finalPath} (sha256 ${existing}, expected ${input.sidecar.sha256})`,
      );
    }
    // A crash between moving the video and writing the sidecar leaves no sidecar behind.
    if (!(await exists(metadataPath))) {
      await writeAtomically(metadataPath, sidecarJson(input.sidecar));
    }
    await rm(tempPath, { force: true });
    return storedVideo(finalPath, input.sidecar);
  };

  return {
    rootDirectory,
    videoPath,
    sidecarPath,
    partialPath,

    async commitVideo(input: CommitVideoInput): Promise<StoredVideo> {
      const finalPath = videoPath(input.key);
      const metadataPath = sidecarPath(input.key);
      const tempPath = stagedTempPath(partialDirectory, input.tempPath);

      const already = await confirmExisting(finalPath, tempPath, metadataPath, input);
      if (already) return already;

      const tempSize = await sizeIfExists(tempPath);
      if (tempSize === undefined) {
        throw new StorageError(
          'missing-temp',
          `neither the downloaded file ${tempPath} nor a stored video ${finalPath} exists; download it again`,
        );
      }
      if (tempSize !== input.sidecar.bytes) {
        throw new StorageError(
          'checksum-mismatch',
          `${tempPath} has ${tempSize} bytes, expected ${input.sidecar.bytes}`,
        );
      }
      // Hashing again costs one read, but it guarantees the file at the final path is exactly
      // what was verified, even if something touched the staging file between the activities.
      const actual = await sha256OfFile(tempPath);
      if (actual !== input.sidecar.sha256) {
        throw new StorageError(
          'checksum-mismatch',
          `${tempPath} hashes to ${actual}, expected ${input.sidecar.sha256}`,
        );
      }

      await mkdir(rootDirectory, { recursive: true });
      const placed = await placeWithoutClobbering(tempPath, finalPath);
      if (!placed) {
        // Someone committed the same key between our check and now: apply the retry rules.
        const raced = await confirmExisting(finalPath, tempPath, metadataPath, input);
        if (raced) return raced;
      }
      await writeAtomically(metadataPath, sidecarJson(input.sidecar));
      await syncDirectory(rootDirectory);
      return storedVideo(finalPath, input.sidecar);
    },

    async removePartial(key: string): Promise<void> {
      await rm(partialPath(key), { force: true });
    },

    async putBlob(bytes: Uint8Array, contentType: string): Promise<BlobReference> {
      const type = normaliseContentType(contentType);
      const digest = createHash('sha256').update(bytes).digest('hex');
      const blobPath = join(blobDirectory, digest);
      const recordPath = `${blobPath}.json`;
      await mkdir(blobDirectory, { recursive: true });
      // Content-addressed: an existing blob of the right size already holds these exact bytes.
      if ((await sizeIfExists(blobPath)) !== bytes.byteLength) {
        await writeAtomically(blobPath, bytes);
      }
      if (!(await exists(recordPath))) {
        await writeAtomically(
          recordPath,
          `${JSON.stringify({ contentType: type, bytes: bytes.byteLength })}\n`,
        );
      }
      return `blob:sha256:${digest}`;
    },

    async readBlob(reference: string): Promise<StoredBlob> {
      const digest = blobDigest(reference);
      const blobPath = join(blobDirectory, digest);
      let bytes: Buffer;
      try {
        bytes = await readFile(blobPath);
      } catch (error) {
        if (isNotFound(error)) {
          throw new StorageError('blob-not-found', `no blob ${reference} in ${blobDirectory}`, {
            cause: error,
          });
        }
        throw error;
      }
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== digest) {
        throw new StorageError(
          'checksum-mismatch',
          `blob ${reference} is corrupt: its content hashes to ${actual}`,
        );
      }
      return {
        bytes: new Uint8Array(bytes),
        contentType: await readContentType(`${blobPath}.json`),
      };
    },
  };
}

export function sidecarJson(sidecar: VideoSidecar): string {
  return `${JSON.stringify(sidecar, null, 2)}\n`;
}

/**
 * A hard link refuses to replace an existing file, unlike rename, so a concurrent commit of the
 * same key cannot be silently overwritten. Filesystems without hard links fall back to rename.
 * Returns false when the final path already existed.
 */
async function placeWithoutClobbering(source: string, target: string): Promise<boolean> {
  try {
    await link(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      await rename(source, target);
      return true;
    }
    throw error;
  }
  await unlink(source);
  return true;
}

/** Makes the renames themselves durable; some platforms cannot open directories, which is fine. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Best effort: the data itself was already synced before the rename.
  } finally {
    await handle?.close();
  }
}

async function readContentType(recordPath: string): Promise<string> {
  try {
    const record = JSON.parse(await readFile(recordPath, 'utf8')) as { contentType?: unknown };
    if (typeof record.contentType === 'string') return record.contentType;
  } catch {
    // A missing or damaged record only loses the type; the bytes were verified.
  }
  return 'application/octet-stream';
}

export function normaliseContentType(contentType: string): string {
  const essence = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(essence)
    ? essence
    : 'application/octet-stream';
}

export async function sha256OfFile(path: string, end?: number): Promise<string> {
  const hash = createHash('sha256');
  if (end === 0) return hash.digest('hex');
  const stream = createReadStream(path, end === undefined ? {} : { start: 0, end: end - 1 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sha256OfFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await sha256OfFile(path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function sizeIfExists(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await sizeIfExists(path)) !== undefined;
}

/** The staged download's absolute path; refuses one outside the staging directory. */
export function stagedTempPath(stagingDirectory: string, tempPath: string): string {
  const absolute = resolve(tempPath);
  if (!isInside(stagingDirectory, absolute)) {
    throw new StorageError(
      'invalid-temp-path',
      `temp file must be under ${stagingDirectory}, not ${absolute}`,
    );
  }
  return absolute;
}

export function isInside(directory: string, path: string): boolean {
  const relativePath = relative(directory, path);
  return relativePath !== '' && !relativePath.startsWith('..') && !isAbsolute(relativePath);
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}
