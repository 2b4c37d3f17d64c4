import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  assertBlobDigest,
  exists,
  isNotFound,
  normaliseContentType,
  placeWithoutClobbering,
  readTextIfExists,
  removeAbandonedTempFiles,
  sha256Hex,
  sha256OfFile,
  sha256OfFileIfExists,
  sidecarJson,
  sizeIfExists,
  stagedTempPath,
  syncDirectory,
  writableDirectory,
  writeFileAtomically,
} from './local-files.js';
import {
  assertValidKey,
  type BlobReference,
  blobDigest,
  type CommitVideoInput,
  StorageError,
  type StoredBlob,
  type StoredVideo,
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

/** Where everything lives under the root (see createFilesystemStorage). */
interface Layout {
  root: string;
  partialDirectory: string;
  blobDirectory: string;
  videoPath(key: string): string;
  sidecarPath(key: string): string;
  partialPath(key: string): string;
}

/**
 * Layout under the root:
 *   <key>.mp4, <key>.json     finished videos and their sidecars
 *   .partial/<key>.mp4.part   downloads in progress (and temp files for atomic writes)
 *   .blobs/<sha256>[.json]    content-addressed image blobs and their content-type records
 * Staging lives under the root so every rename stays on one filesystem and is atomic.
 */
export function createFilesystemStorage(options: FilesystemStorageOptions): FilesystemStorage {
  const layout = filesystemLayout(resolve(options.rootDirectory));
  // Without this, the temp files of a worker killed mid-write would stay in .partial for good.
  let swept: Promise<void> | undefined;
  const sweepOnce = () => {
    swept ??= removeAbandonedTempFiles(layout.partialDirectory);
    return swept;
  };
  return {
    async checkWritable() {
      await writableDirectory(layout.partialDirectory);
    },
    rootDirectory: layout.root,
    videoPath: layout.videoPath,
    sidecarPath: layout.sidecarPath,
    partialPath: layout.partialPath,
    async commitVideo(input) {
      await sweepOnce();
      return commitVideo(layout, input);
    },
    async storedVideoPath(key) {
      const path = layout.videoPath(key);
      return (await exists(path)) ? path : undefined;
    },
    async storedVideoDigest(key) {
      const path = layout.videoPath(key);
      const sha256 = await sha256OfFileIfExists(path);
      const bytes = await sizeIfExists(path);
      if (sha256 === undefined || bytes === undefined) return undefined;
      const text = await readTextIfExists(layout.sidecarPath(key));
      const sidecar =
        text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
      return { sha256, bytes, ...(sidecar ? { sidecar } : {}) };
    },
    async removePartial(key: string): Promise<void> {
      await rm(layout.partialPath(key), { force: true });
    },
    async putBlob(bytes, contentType) {
      await sweepOnce();
      return putBlob(layout, bytes, contentType);
    },
    readBlob: (reference) => readBlob(layout, reference),
  };
}

function filesystemLayout(root: string): Layout {
  const partialDirectory = join(root, '.partial');
  const under = (directory: string, suffix: string) => (key: string) => {
    assertValidKey(key);
    return join(directory, `${key}${suffix}`);
  };
  return {
    root,
    partialDirectory,
    blobDirectory: join(root, '.blobs'),
    videoPath: under(root, '.mp4'),
    sidecarPath: under(root, '.json'),
    partialPath: under(partialDirectory, '.mp4.part'),
  };
}

/** A finished download moves to `<key>.mp4` only once its size and sha256 are verified. */
async function commitVideo(layout: Layout, input: CommitVideoInput): Promise<StoredVideo> {
  const finalPath = layout.videoPath(input.key);
  const tempPath = stagedTempPath(layout.partialDirectory, input.tempPath);

  const already = await confirmExisting(layout, tempPath, input);
  if (already) return already;
  await verifyStaged(tempPath, finalPath, input);

  await mkdir(layout.root, { recursive: true });
  const placed = await placeWithoutClobbering(tempPath, finalPath);
  if (!placed) {
    // Someone committed the same key between our check and now: apply the retry rules.
    const raced = await confirmExisting(layout, tempPath, input);
    if (raced) return raced;
  }
  await writeSidecar(layout, input);
  await syncDirectory(layout.root);
  return storedVideo(finalPath, input);
}

/** The staged file must have exactly the sidecar's size and sha256. */
async function verifyStaged(
  tempPath: string,
  finalPath: string,
  input: CommitVideoInput,
): Promise<void> {
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
}

/** The retry path: the video is already in place; finish what a crashed attempt left undone. */
async function confirmExisting(
  layout: Layout,
  tempPath: string,
  input: CommitVideoInput,
): Promise<StoredVideo | undefined> {
  const finalPath = layout.videoPath(input.key);
  const existing = await sha256OfFileIfExists(finalPath);
  if (existing === undefined) return undefined;
  if (existing !== input.sidecar.sha256) {
    throw new StorageError(
      'conflict',
      `a different video is already stored as ${finalPath} (sha256 ${existing}, expected ${input.sidecar.sha256})`,
    );
  }
  // A crash between moving the video and writing the sidecar leaves no sidecar behind.
  if (!(await exists(layout.sidecarPath(input.key)))) await writeSidecar(layout, input);
  await rm(tempPath, { force: true });
  return storedVideo(finalPath, input);
}

function writeSidecar(layout: Layout, input: CommitVideoInput): Promise<void> {
  return writeFileAtomically(
    layout.sidecarPath(input.key),
    sidecarJson(input.sidecar),
    layout.partialDirectory,
  );
}

function storedVideo(path: string, { sidecar }: CommitVideoInput): StoredVideo {
  return { path, sha256: sidecar.sha256, bytes: sidecar.bytes, sourceUrl: sidecar.sourceUrl };
}

async function putBlob(
  layout: Layout,
  bytes: Uint8Array,
  contentType: string,
): Promise<BlobReference> {
  const digest = sha256Hex(bytes);
  const blobPath = join(layout.blobDirectory, digest);
  const recordPath = `${blobPath}.json`;
  await mkdir(layout.blobDirectory, { recursive: true });
  // Content-addressed: an existing blob of the right size already holds these exact bytes.
  if ((await sizeIfExists(blobPath)) !== bytes.byteLength) {
    await writeFileAtomically(blobPath, bytes, layout.partialDirectory);
  }
  if (!(await exists(recordPath))) {
    const record = { contentType: normaliseContentType(contentType), bytes: bytes.byteLength };
    await writeFileAtomically(recordPath, `${JSON.stringify(record)}\n`, layout.partialDirectory);
  }
  return `blob:sha256:${digest}`;
}

async function readBlob(layout: Layout, reference: string): Promise<StoredBlob> {
  const digest = blobDigest(reference);
  const blobPath = join(layout.blobDirectory, digest);
  let bytes: Buffer;
  try {
    bytes = await readFile(blobPath);
  } catch (error) {
    if (isNotFound(error)) {
      throw new StorageError('blob-not-found', `no blob ${reference} in ${layout.blobDirectory}`, {
        cause: error,
      });
    }
    throw error;
  }
  assertBlobDigest(reference, digest, bytes);
  return { bytes: new Uint8Array(bytes), contentType: await readContentType(`${blobPath}.json`) };
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
