import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRenderTimeStore,
  renderTimeStorePath,
} from '../../../src/storage/render-time-store.js';
import { tempFileOfKilledWriter } from '../../support/killed-writer.js';

describe('render-time store', () => {
  let directory: string;
  let path: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'klingflow-render-times-'));
    path = renderTimeStorePath(directory);
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps what it learned across restarts (a new store on the same file)', async () => {
    const first = createRenderTimeStore({ path });
    await first.record('kling/kling-v1.6/std/5s', 240_000);
    await first.record('kling/kling-v1.6/std/5s', 231_000);
    await first.record('fal/kling-v1.6/pro/10s', 400_000);

    const restarted = createRenderTimeStore({ path });
    expect(await restarted.samples('kling/kling-v1.6/std/5s')).toEqual([240_000, 231_000]);
    expect(await restarted.samples('fal/kling-v1.6/pro/10s')).toEqual([400_000]);
    expect(await restarted.samples('kling/kling-v1.6/std/10s')).toEqual([]);
  });

  it('keeps only the last renders of a key', async () => {
    const store = createRenderTimeStore({ path, window: 3 });
    for (const ms of [1, 2, 3, 4, 5]) await store.record('key', ms * 1000);
    expect(await store.samples('key')).toEqual([3000, 4000, 5000]);
    expect(await createRenderTimeStore({ path }).samples('key')).toEqual([3000, 4000, 5000]);
  });

  it('saves every record of a burst, however many arrive during one write', async () => {
    const store = createRenderTimeStore({ path });
    await Promise.all(Array.from({ length: 20 }, (_, index) => store.record('key', index)));
    const saved = JSON.parse(await readFile(path, 'utf8'));
    expect(saved.samples.key).toHaveLength(20);
  });

  it('starts empty from a missing or damaged file', async () => {
    expect(await createRenderTimeStore({ path }).samples('key')).toEqual([]);
    await writeFile(path, '{"version":1,"samples":{"key":[1,');
    const store = createRenderTimeStore({ path });
    expect(await store.samples('key')).toEqual([]);
    await store.record('key', 5);
    expect(await createRenderTimeStore({ path }).samples('key')).toEqual([5]);
  });

  it('clears the temp file of a worker killed mid-save, and keeps what was saved before', async () => {
    await createRenderTimeStore({ path }).record('key', 7);
    const abandoned = await tempFileOfKilledWriter(directory, '.render-times.json');

    const restarted = createRenderTimeStore({ path });
    expect(await restarted.samples('key')).toEqual([7]);
    expect(existsSync(abandoned)).toBe(false);
    expect(await readdir(directory)).toEqual(['.render-times.json']);
  });
});
