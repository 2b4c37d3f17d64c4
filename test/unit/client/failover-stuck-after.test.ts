import { describe, expect, it } from 'vitest';
import { parseFailoverStuckAfterFlag } from '../../../src/cli/parse-options.js';
import { createBatchInput, parseBatchText } from '../../../src/client/batch-file.js';
import { parseFailoverStuckAfter } from '../../../src/client/failover-stuck-after.js';
import { validateStartOptions } from '../../../src/client/klingflow-client.js';
import { ValidationError } from '../../../src/errors.js';

const storage = { putBlob: async () => 'blob:sha256:0' as const };

function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('the stuck-failover opt-in', () => {
  it('takes a duration or milliseconds', () => {
    expect(parseFailoverStuckAfter('20m', 'x')).toEqual({ ms: 1_200_000 });
    expect(parseFailoverStuckAfter('90s', 'x')).toEqual({ ms: 90_000 });
    expect(parseFailoverStuckAfter(300_000, 'x')).toEqual({ ms: 300_000 });
    expect(parseFailoverStuckAfter('1m', 'x')).toEqual({ ms: 60_000 });
    expect(parseFailoverStuckAfterFlag('1h', '--failover-stuck-after')).toBe(3_600_000);
  });

  it('refuses under a minute, which pays the next provider beside nearly every render', () => {
    const refusal = (value: unknown) =>
      'issue' in parseFailoverStuckAfter(value, 'x')
        ? (parseFailoverStuckAfter(value, 'x') as { issue: { message: string } }).issue.message
        : undefined;
    expect(refusal('20')).toBe(
      '"20" is 20 ms: under a minute no render is stuck (they take 3–5 minutes), and the next provider would be paid beside it; use at least 1m; did you mean 20m?',
    );
    expect(refusal(20)).toContain('the number is milliseconds: 20 minutes is 1200000');
    expect(refusal('59s')).toContain('use at least 1m');
    expect(refusal('59s')).not.toContain('did you mean');
  });

  it.each([['0s'], ['-5m'], ['soon'], [''], ['0']])(
    '--failover-stuck-after %j is refused, naming the flag',
    (value) => {
      const issues = issuesOf(() => parseFailoverStuckAfterFlag(value, '--failover-stuck-after'));
      expect(issues).toEqual([
        expect.objectContaining({
          field: '--failover-stuck-after',
          message: expect.stringContaining('not a positive duration'),
        }),
      ]);
    },
  );

  it('is checked in the client options and returned in milliseconds', () => {
    expect(validateStartOptions({ failoverStuckAfter: '15m' })).toEqual({
      failoverStuckAfterMs: 900_000,
    });
    expect(validateStartOptions({})).toEqual({});
    expect(issuesOf(() => validateStartOptions({ failoverStuckAfter: -1 }))).toEqual([
      expect.objectContaining({ field: 'failoverStuckAfter' }),
    ]);
  });

  it('is read from batch lines (overriding the batch option) and checked with its line', async () => {
    const items = await parseBatchText(
      [
        JSON.stringify({ prompt: 'a heron', model: 'kling-v1.6', failoverStuckAfter: '30m' }),
        JSON.stringify({ prompt: 'a crane', model: 'kling-v1.6' }),
      ].join('\n'),
      { storage },
    );
    expect(items.map((item) => item.failoverStuckAfterMs)).toEqual([1_800_000, undefined]);
    expect(items[0]!.request).not.toHaveProperty('failoverStuckAfter');
    const input = createBatchInput(items, { failoverStuckAfter: '10m' });
    expect(input.failoverStuckAfterMs).toBe(600_000);

    const error = await parseBatchText(
      JSON.stringify({ prompt: 'a heron', model: 'kling-v1.6', failoverStuckAfter: 'later' }),
      { storage },
    ).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      expect.objectContaining({ field: 'failoverStuckAfter', location: 'line 1' }),
    ]);
    expect(issuesOf(() => createBatchInput(items, { failoverStuckAfter: 0 }))).toEqual([
      expect.objectContaining({ field: 'failoverStuckAfter' }),
    ]);
  });
});
