import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import {
  BATCH_ID_PATTERN,
  type BatchItemResult,
  type WriteBatchManifestInput,
} from '../contracts/batch.js';
import { writeFileAtomically } from '../storage/atomic-file.js';
import type { VideoStorage } from '../storage/video-storage.js';

export interface ManifestVideo {
  path: string;
  sha256?: string;
  bytes?: number;
}

/** One line of `<storage>/batches/<batchId>.jsonl`. */
export interface ManifestLine extends Omit<BatchItemResult, 'videos'> {
  batchId: string;
  videos?: ManifestVideo[];
}

/**
 * Writes a batch's results manifest: one JSON line per item, in batch order, with each video's
 * sha256 and size read from its sidecar (they are not carried through workflow history). The
 * file lands atomically (temp file in the same directory, fsync, rename), so a reader never sees
 * half a manifest; a re-run of the batch rewrites it with the same content.
 */
export function createWriteBatchManifest(deps: {
  directory: string | (() => string);
  /** A storage that keeps documents itself (S3) gets the manifest instead of the directory. */
  storage?: Pick<VideoStorage, 'writeDocument' | 'readDocument'>;
}) {
  const readText = deps.storage?.readDocument?.bind(deps.storage) ?? readLocalText;
  return async function writeBatchManifest(
    input: WriteBatchManifestInput,
  ): Promise<{ path: string; lines: number }> {
    if (!BATCH_ID_PATTERN.test(input.batchId)) {
      throw ApplicationFailure.nonRetryable(
        `batch id ${JSON.stringify(input.batchId.slice(0, 80))} is not a safe file name`,
        'InvalidBatchId',
      );
    }
    const lines: string[] = [];
    for (const item of input.items) {
      const { videos, ...rest } = item;
      const line: ManifestLine = { batchId: input.batchId, ...rest };
      if (videos)
        line.videos = await Promise.all(videos.map((path) => describeVideo(path, readText)));
      lines.push(JSON.stringify(line));
    }
    const content = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    if (deps.storage?.writeDocument) {
      const path = await deps.storage.writeDocument(`batches/${input.batchId}.jsonl`, content);
      return { path, lines: lines.length };
    }
    const directory = typeof deps.directory === 'function' ? deps.directory() : deps.directory;
    const target = join(directory, `${input.batchId}.jsonl`);
    await writeFileAtomically(target, content);
    return { path: target, lines: lines.length };
  };
}

/** `<storage root>/batches`: the filesystem storage's root is KLINGFLOW_STORAGE_DIR. */
export function batchManifestDirectory(storage: object): string {
  const root = (storage as { rootDirectory?: unknown }).rootDirectory;
  if (typeof root !== 'string') {
    throw new Error(
      'batch manifests need a storage with a local root directory; pass batchManifestDirectory',
    );
  }
  return join(root, 'batches');
}

/** The video's sha256 and size from its sidecar (`<key>.json` beside `<key>.mp4`), when present. */
async function describeVideo(
  path: string,
  readText: (location: string) => Promise<string | undefined>,
): Promise<ManifestVideo> {
  try {
    const text = await readText(path.replace(/\.mp4$/, '.json'));
    if (text === undefined) return { path };
    const sidecar = JSON.parse(text) as {
      sha256?: unknown;
      bytes?: unknown;
    };
    return {
      path,
      ...(typeof sidecar.sha256 === 'string' ? { sha256: sidecar.sha256 } : {}),
      ...(typeof sidecar.bytes === 'number' ? { bytes: sidecar.bytes } : {}),
    };
  } catch {
    return { path };
  }
}

function readLocalText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8');
}
