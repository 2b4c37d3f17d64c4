import { describe, expect, it } from 'vitest';
import { parseInteger, parseNumber } from '../../../src/cli/parse-options.js';
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
    expect(refusal('10.0')).toBe('"10.0" is not a whole number; did you mean 10?');
    expect(refusal('5.5')).toBe('"5.5" is not a whole number');
    expect(refusal('five')).toBe('"five" is not a whole number');
  });
});

describe('parseNumber', () => {
  it('suggests the number a decimal comma or a currency means, and takes only plain numbers', () => {
    expect(parseNumber('0.5', 'cfgScale')).toBe(0.5);
    expect(() => parseNumber('0,5', 'cfgScale')).toThrow(
      '"0,5" is not a number; did you mean 0.5?',
    );
    expect(() => parseNumber('half', 'cfgScale')).toThrow(/^cfgScale: "half" is not a number$/);
    expect(() => parseNumber('$0.50', '--max-cost')).toThrow(
      '"$0.50" is not a number; did you mean 0.50?',
    );
    expect(() => parseNumber('2 USD', '--max-cost')).toThrow(
      '"2 USD" is not a number; did you mean 2?',
    );
  });
});
