import { describe, expect, it } from 'vitest';
import { refusePastedDashes } from '../../../src/cli/pasted-dashes.js';
import { createProgram } from '../../../src/cli/program.js';
import { ValidationError } from '../../../src/errors.js';

async function refusals(args: string[]): Promise<string[]> {
  const program = await createProgram(['node', 'klingflow', ...args]);
  try {
    refusePastedDashes(program, args);
  } catch (error) {
    if (error instanceof ValidationError)
      return error.issues.map((issue) => `${issue.field}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('flags typed with a dash a document or chat app put in', () => {
  it('are refused with the flag they mean, before commander takes them for arguments', async () => {
    expect(await refusals(['generate', '--prompt', 'a fox', '–-wait'])).toEqual([
      '--wait: "–-wait" begins with "–" (U+2013), a dash documents and chat apps put in place of "--"; type it as --wait',
    ]);
    expect(
      await refusals(['generate', '--prompt', 'a fox', '—model=kling-v2.1', '−−json']),
    ).toEqual([
      '--model: "—model=kling-v2.1" begins with "—" (U+2014), a dash documents and chat apps put in place of "--"; type it as --model=kling-v2.1',
      '--json: "−−json" begins with "−" (U+2212), a dash documents and chat apps put in place of "--"; type it as --json',
    ]);
    // `status`'s workflow id would otherwise be "—json".
    expect(await refusals(['status', '—json'])).toHaveLength(1);
  });

  it('leave values, plain hyphens and words that are no flag of the command alone', async () => {
    expect(await refusals(['generate', '--prompt', '—wait', '--wait'])).toEqual([]);
    expect(await refusals(['generate', '--prompt=x', '--negative-prompt', '– blur'])).toEqual([]);
    expect(await refusals(['generate', '--prompt', 'x', '--wait', '--json'])).toEqual([]);
    expect(await refusals(['status', '—not-a-flag'])).toEqual([]);
  });
});
