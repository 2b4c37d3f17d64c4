import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeAbandonedTempFiles, temporaryPathFor } from '../../../src/storage/local-files.js';
import { tempFileOfKilledWriter } from '../../support/killed-writer.js';

/** Above Linux's largest pid_max (2^22): no process here has it. */
const NO_SUCH_PID = 4_194_305;

describe('removeAbandonedTempFiles', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'klingflow-temp-files-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** Writes both temp files, makes `stale` two minutes old, sweeps: only `fresh` is left. */
  async function expectSweepKeepsOnly(fresh: string, stale: string): Promise<void> {
    await writeFile(fresh, '{');
    await writeFile(stale, '{');
    await makeTwoMinutesOld(stale);

    await removeAbandonedTempFiles(directory);

    expect(await readdir(directory)).toEqual([basename(fresh)]);
  }

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
    const fresh = temporaryPathFor(join(directory, 'a.json'));
    const stale = temporaryPathFor(join(directory, 'b.json'));
    await expectSweepKeepsOnly(fresh, stale);
  });

  it('judges another host’s temp file by its age alone: its pid means nothing here', async () => {
    // `<target>.<host>.<pid>.<12 hex>.tmp`
    const thisHost = basename(temporaryPathFor(join(directory, 'a.json')))
      .split('.')
      .at(-4);
    const otherHost = thisHost === '00000000' ? '11111111' : '00000000';
    const fresh = join(directory, `fresh.json.${otherHost}.${NO_SUCH_PID}.00000000000a.tmp`);
    const stale = join(directory, `stale.json.${otherHost}.${NO_SUCH_PID}.00000000000b.tmp`);
    await expectSweepKeepsOnly(fresh, stale);
  });

  it('judges a temp file named before names carried the host by its age alone', async () => {
    const fresh = join(directory, `a.json.${NO_SUCH_PID}.00000000000a.tmp`);
    const stale = join(directory, `b.json.${NO_SUCH_PID}.00000000000b.tmp`);
    await expectSweepKeepsOnly(fresh, stale);
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

async function makeTwoMinutesOld(path: string): Promise<void> {
  const twoMinutesAgo = new Date(Date.now() - 120_000);
  await utimes(path, twoMinutesAgo, twoMinutesAgo);
}
