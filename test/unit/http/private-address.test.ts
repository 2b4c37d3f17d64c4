import { describe, expect, it } from 'vitest';
import { errorCode } from '../../../src/http/error-cause.js';
import {
  assertFetchableUrl,
  BlockedAddressError,
  findBlockedAddressError,
  redactUrl,
} from '../../../src/http/guarded-agent.js';
import { headerValue } from '../../../src/http/headers.js';
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
    // Translation and tunnel forms are judged by the IPv4 host they reach.
    '2002:7f00:1::', // 6to4 of 127.0.0.1
    '2002:c0a8:101::1', // 6to4 of 192.168.1.1
    '2001:0:4136:e378:8000:63bf:f5ff:fffe', // Teredo, client 10.0.0.1
    '2001:0:a00:1::', // Teredo, server 10.0.0.1
    '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
    '64:ff9b:1::a00:1', // local-use NAT64: its IPv4 host cannot be told
    '::ffff:0:7f00:1', // IPv4-translated 127.0.0.1
    '::ffff:0:a00:1', // IPv4-translated 10.0.0.1
    '::7f00:1', // IPv4-compatible 127.0.0.1
    '198.18.0.1',
    '192.0.2.1',
    '2001:db8::1',
    'fec0::1',
    '100::1',
  ])('treats %s as private', (address) => expect(isPrivateAddress(address)).toBe(true));

  it.each([
    '8.8.8.8',
    '172.32.0.1',
    '2606:4700::1111',
    '::ffff:808:808',
    '2002:808:808::', // 6to4 of 8.8.8.8
    '64:ff9b::808:808', // NAT64 of 8.8.8.8
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7', // Teredo, client 8.8.8.8
  ])('treats %s as public', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

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
    expect(() => assertFetchableUrl('http://[2002:7f00:1::]/x', false)).toThrow(
      /private or loopback/,
    );
    expect(() => assertFetchableUrl('http://[64:ff9b::7f00:1]/x', false)).toThrow(
      /private or loopback/,
    );
    expect(assertFetchableUrl('http://127.0.0.1:9/x', true).port).toBe('9');
    expect(assertFetchableUrl('https://[2002:808:808::]/x', false).hostname).toBe(
      '[2002:808:808::]',
    );
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

describe('error cause chain', () => {
  it('finds the guard refusal and the error code however deep undici wrapped them', () => {
    const blocked = new BlockedAddressError('10.0.0.1 is private');
    const wrapped = new Error('fetch failed', { cause: new Error('connect', { cause: blocked }) });
    expect(findBlockedAddressError(wrapped)).toBe(blocked);
    expect(findBlockedAddressError(new Error('other'))).toBeUndefined();
    const reset = Object.assign(new Error('socket'), { code: 'ECONNRESET' });
    expect(errorCode(new Error('fetch failed', { cause: reset }))).toBe('ECONNRESET');
    expect(headerValue(['a', 'b'])).toBe('a');
  });
});
