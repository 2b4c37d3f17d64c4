import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createKlingTokenSource,
  KLING_TOKEN_LIFETIME_SECONDS,
  KLING_TOKEN_RENEW_MARGIN_SECONDS,
  signKlingToken,
} from '../../../src/providers/kling-jwt.js';

const credentials = { accessKey: 'test-access', secretKey: 'test-secret' };
const NOW_MS = 1_760_000_000_000;
const NOW_SECONDS = NOW_MS / 1000;

describe('Kling JWT', () => {
  it('has the header {alg: HS256, typ: JWT}', async () => {
    const token = await signKlingToken(credentials, NOW_MS);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('carries exactly iss = access key, exp = now + 1800 s and nbf = now - 5 s', async () => {
    const token = await signKlingToken(credentials, NOW_MS);
    expect(decodeJwt(token)).toEqual({
      iss: 'test-access',
      exp: NOW_SECONDS + 1800,
      nbf: NOW_SECONDS - 5,
    });
  });

  it('is signed with the secret key (and verifies with nothing else)', async () => {
    const token = await signKlingToken(credentials, Date.now());
    const secret = new TextEncoder().encode('test-secret');
    await expect(jwtVerify(token, secret, { algorithms: ['HS256'] })).resolves.toBeDefined();
    await expect(
      jwtVerify(token, new TextEncoder().encode('another-secret'), { algorithms: ['HS256'] }),
    ).rejects.toThrow();
  });

  it('does not contain the secret key', async () => {
    const token = await signKlingToken(credentials, NOW_MS);
    expect(token).not.toContain('test-secret');
    expect(JSON.stringify(decodeJwt(token))).not.toContain('test-secret');
  });
});

describe('Kling token source', () => {
  it('reuses the cached token while it has more than the renew margin left', async () => {
    let now = NOW_MS;
    const source = createKlingTokenSource(credentials, () => now);
    const first = await source.current();
    now += (KLING_TOKEN_LIFETIME_SECONDS - KLING_TOKEN_RENEW_MARGIN_SECONDS - 1) * 1000;
    expect(await source.current()).toBe(first);
  });

  it('signs a new token once the cached one is within the renew margin of exp', async () => {
    let now = NOW_MS;
    const source = createKlingTokenSource(credentials, () => now);
    const first = await source.current();
    now += (KLING_TOKEN_LIFETIME_SECONDS - KLING_TOKEN_RENEW_MARGIN_SECONDS) * 1000;
    const second = await source.current();
    expect(second).not.toBe(first);
    expect(decodeJwt(second).exp).toBe(Math.floor(now / 1000) + KLING_TOKEN_LIFETIME_SECONDS);
  });

  it('renew() replaces the cached token even when it has not expired', async () => {
    let now = NOW_MS;
    const source = createKlingTokenSource(credentials, () => now);
    const first = await source.current();
    now += 1000;
    const renewed = await source.renew();
    expect(renewed).not.toBe(first);
    expect(await source.current()).toBe(renewed);
  });

  it('signs once for concurrent callers', async () => {
    let calls = 0;
    const source = createKlingTokenSource(credentials, () => {
      calls += 1;
      return NOW_MS + calls * 1000;
    });
    const tokens = await Promise.all([source.current(), source.current(), source.current()]);
    expect(new Set(tokens).size).toBe(1);
  });
});
