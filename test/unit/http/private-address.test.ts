import { describe, expect, it } from 'vitest';
import { assertFetchableUrl, redactUrl } from '../../../src/http/guarded-agent.js';
import { isPrivateAddress } from '../../../src/http/private-address.js';
import { parseRetryAfter } from '../../../src/http/retry-after.js';

describe('network guard', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a00:1',
    '64:ff9b::7f00:1',
  ])('treats %s as private', (address) => expect(isPrivateAddress(address)).toBe(true));

  it.each(['8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:808:808'])(
    'treats %s as public',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );

  it('refuses non-http(s) schemes and loopback hosts unless private networks are allowed', () => {
    expect(() => assertFetchableUrl('file:///etc/passwd', true)).toThrow(/only http\(s\)/);
    expect(() => assertFetchableUrl('http://localhost:8080/x', false)).toThrow(
      /KLINGFLOW_ALLOW_PRIVATE_NETWORK/,
    );
    expect(() => assertFetchableUrl('http://[::1]/x', false)).toThrow(/private or loopback/);
    // The URL parser rewrites ::ffff:127.0.0.1 to its hex form; it must still be refused.
    expect(() => assertFetchableUrl('http://[::ffff:127.0.0.1]/x', false)).toThrow(
      /private or loopback/,
    );
    expect(assertFetchableUrl('http://127.0.0.1:9/x', true).port).toBe('9');
  });

  it('never prints the query string of a result URL (it carries signed tokens)', () => {
    expect(redactUrl('https://cdn.example.com/v.mp4?token=secret')).toBe(
      'https://cdn.example.com/v.mp4?…',
    );
  });
});

describe('Retry-After', () => {
  it('reads delta seconds and HTTP dates', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(
      parseRetryAfter('Sun, 22 Nov 2026 00:00:10 GMT', Date.parse('Sun, 22 Nov 2026 00:00:00 GMT')),
    ).toBe(10_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
