import { describe, expect, it } from 'vitest';
import { foreignBody } from '../../../../src/providers/kit/provider-answer.js';

describe("a body that is not the provider's own answer", () => {
  it('names an HTML page by its title, else its first heading', () => {
    expect(
      foreignBody(
        '<!DOCTYPE html>\n<html><head><title>\n  504 Gateway Time-out\n</title></head><body>…</body></html>',
      ),
    ).toBe('an HTML page "504 Gateway Time-out"');
    expect(foreignBody('<html><body><h1>Service Unavailable</h1></body></html>')).toBe(
      'an HTML page "Service Unavailable"',
    );
    expect(foreignBody('<html><body></body></html>')).toBe('an HTML page');
  });

  it('keeps other text, its whitespace collapsed, at most 200 characters', () => {
    expect(foreignBody('upstream connect error\n  or disconnect/reset before headers')).toBe(
      'upstream connect error or disconnect/reset before headers',
    );
    expect(foreignBody('x'.repeat(500))).toHaveLength(200);
  });
});
