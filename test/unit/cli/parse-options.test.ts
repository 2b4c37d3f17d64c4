import { describe, expect, it } from 'vitest';
import { parseInteger } from '../../../src/cli/parse-options.js';
import { ValidationError } from '../../../src/errors.js';

function refusal(value: string): string | undefined {
  try {
    parseInteger(value, 'duration');
  } catch (error) {
    if (error instanceof ValidationError) return error.issues[0]?.message;
    throw error;
  }
  return undefined;
}

describe('parseInteger', () => {
  it('takes whole numbers only, and suggests the number a pasted "5s" means', () => {
    expect(parseInteger(' 10 ', 'duration')).toBe(10);
    expect(refusal('5s')).toBe('"5s" is not a whole number; did you mean 5?');
    expect(refusal('10 seconds')).toBe('"10 seconds" is not a whole number; did you mean 10?');
    expect(refusal('5.5')).toBe('"5.5" is not a whole number');
    expect(refusal('five')).toBe('"five" is not a whole number');
  });
});
