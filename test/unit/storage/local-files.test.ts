import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeAbandonedTempFiles } from '../../../src/storage/local-files.js';
import { tempFileOfKilledWriter } from '../../support/killed-writer.js';

describe('removeAbandonedTempFiles', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'klingflow-temp-files-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('removes the temp file of a writer that was killed, and nothing else', async () => {
    const abandoned = await tempFileOfKilledWriter(directory, 'job.json');
    await writeFile(join(directory, 'job.json'), '{}');
    await writeFile(join(directory, 'job.mp4'), 'video');
    await writeFile(join(directory, 'notes.tmp'), 'not a klingflow temp file');

    await removeAbandonedTempFiles(directory);

    expect(existsSync(abandoned)).toBe(false);
    expect((await readdir(directory)).sort()).toEqual(['job.json', 'job.mp4', 'notes.tmp']);
  });

  it('keeps a running writer’s fresh temp file, but not one a minute old', async () => {
    const fresh = join(directory, `a.json.${process.pid}.00000000000a.tmp`);
    const stale = join(directory, `b.json.${process.pid}.00000000000b.tmp`);
    await writeFile(fresh, '{');
    await writeFile(stale, '{');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(stale, twoMinutesAgo, twoMinutesAgo);

    await removeAbandonedTempFiles(directory);

    expect(await readdir(directory)).toEqual([`a.json.${process.pid}.00000000000a.tmp`]);
  });

  it('only touches the temp files of the target it is given', async () => {
    const ours = await tempFileOfKilledWriter(directory, '.render-times.json');
    const other = await tempFileOfKilledWriter(directory, 'job.json');

    await removeAbandonedTempFiles(directory, '.render-times.json');

    expect(existsSync(ours)).toBe(false);
    expect(existsSync(other)).toBe(true);
  });

  it('does nothing for a directory that does not exist', async () => {
    await expect(removeAbandonedTempFiles(join(directory, 'absent'))).resolves.toBeUndefined();
  });
});
