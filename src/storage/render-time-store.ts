import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { removeAbandonedTempFiles, writeFileAtomically } from './local-files.js';

/**
 * Render times of finished jobs, per key (provider/model/mode/duration, see poll-policy.ts),
 * kept in one small JSON file on the worker's own disk, so what a worker learned survives its
 * restarts and costs no workflow actions: the status activity that sees a task done records
 * it, the planRoute activity reads it. Only the last `window` renders per key are kept, so the
 * store follows a provider whose speed changes.
 *
 * Workers on other hosts learn on their own; workers sharing this directory overwrite each
 * other's file (the last writer's window wins), which loses samples, never correctness.
 */
export interface RenderTimeStore {
  /** The learned render times of a key, oldest first (loads the file on first use). */
  samples(key: string): Promise<readonly number[]>;
  /** Adds one render and saves the file before returning. */
  record(key: string, renderMs: number): Promise<void>;
}

/** `<KLINGFLOW_STORAGE_DIR>/.render-times.json`: the worker's local state directory. */
export function renderTimeStorePath(storageDirectory: string): string {
  return join(storageDirectory, '.render-times.json');
}

const DEFAULT_WINDOW = 100;

const documentSchema = z.object({
  version: z.literal(1),
  samples: z.record(z.string(), z.array(z.number().nonnegative())),
});

type RenderTimeDocument = z.infer<typeof documentSchema>;

export function createRenderTimeStore(options: { path: string; window?: number }): RenderTimeStore {
  const window = options.window ?? DEFAULT_WINDOW;
  let loaded: Promise<RenderTimeDocument> | undefined;
  let saving: Promise<void> | undefined;
  let dirty = false;

  const document = () => {
    // A worker killed mid-save leaves its temp file beside the videos: clear it on first use.
    loaded ??= removeAbandonedTempFiles(dirname(options.path), basename(options.path)).then(() =>
      readDocument(options.path),
    );
    return loaded;
  };

  /** One write at a time; records arriving meanwhile go out together in the next write. */
  const save = (current: RenderTimeDocument): Promise<void> => {
    dirty = true;
    saving ??= (async () => {
      try {
        while (dirty) {
          dirty = false;
          await writeFileAtomically(options.path, JSON.stringify(current));
        }
      } finally {
        saving = undefined;
      }
    })();
    return saving;
  };

  return {
    async samples(key) {
      return (await document()).samples[key] ?? [];
    },
    async record(key, renderMs) {
      const current = await document();
      const kept = [...(current.samples[key] ?? []), Math.max(0, Math.round(renderMs))];
      current.samples[key] = kept.slice(-window);
      await save(current);
    },
  };
}

/** The saved document; a missing or unreadable file starts an empty one (it is only a hint). */
async function readDocument(path: string): Promise<RenderTimeDocument> {
  try {
    const parsed = documentSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // Missing or not JSON: nothing learned yet.
  }
  return { version: 1, samples: {} };
}
