import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import { KNOWN_SECONDS, LongestFirstSequencer } from '../setup/longest-first-sequencer.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What the sequencer reads of a specification: the file's path. */
const spec = (file: string) => ({ moduleId: join(ROOT, file) }) as TestSpecification;

describe('the longest-first test sequencer', () => {
  it('lists only files that exist (a renamed file would silently lose its place)', () => {
    const missing = Object.keys(KNOWN_SECONDS).filter((file) => !existsSync(join(ROOT, file)));
    expect(missing).toEqual([]);
  });

  it('starts the longest files first, across projects, then unlisted integration files, then unit files', async () => {
    const sequencer = new LongestFirstSequencer({ config: { root: ROOT } } as Vitest);
    const files = [
      'test/unit/config/variables.test.ts',
      'test/integration/brand-new.test.ts',
      'test/unit/providers/resend-allow-list.test.ts',
      'test/e2e/cli.test.ts',
      'test/integration/batch-large.test.ts',
      'test/unit/cli/job-list.test.ts',
    ];
    const sorted = await sequencer.sort(files.map(spec));
    expect(sorted.map((file) => file.moduleId.slice(ROOT.length))).toEqual([
      'test/integration/batch-large.test.ts',
      'test/e2e/cli.test.ts',
      'test/unit/providers/resend-allow-list.test.ts',
      'test/integration/brand-new.test.ts',
      'test/unit/cli/job-list.test.ts',
      'test/unit/config/variables.test.ts',
    ]);
  });
});
