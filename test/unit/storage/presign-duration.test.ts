import { describe, expect, it } from 'vitest';
import { MAX_PRESIGN_SECONDS, parsePresignDuration } from '../../../src/storage/presign-videos.js';

describe('--presign DURATION', () => {
  it('takes 1 s up to the 7 days SigV4 allows, in any unit the message names', () => {
    expect(parsePresignDuration('15m')).toBe(900);
    expect(parsePresignDuration('24h')).toBe(86_400);
    expect(parsePresignDuration('7d')).toBe(MAX_PRESIGN_SECONDS);
  });

  it('refuses a bare number (seconds or milliseconds?) and what is out of range or not a duration', () => {
    expect(() => parsePresignDuration('3600')).toThrow(
      '--presign: "3600" needs a unit; did you mean 3600s? (examples: 15m, 1h, 24h, 7d)',
    );
    for (const value of ['8d', '0s', 'a week'])
      expect(() => parsePresignDuration(value)).toThrow(
        `--presign: "${value}" is not a duration between 1s and 7 days (examples: 15m, 1h, 24h, 7d)`,
      );
  });
});
