import { describe, expect, it } from 'vitest';
import { requestFingerprint } from '../../../src/client/request-fingerprint.js';
import { parseUnifiedRequest } from '../../../src/request/parse-request.js';

const request = (input: Record<string, unknown>) =>
  parseUnifiedRequest({ prompt: 'a red kite', model: 'kling-v1.6', ...input });

describe('the request fingerprint (rule 5: ids are single-use per request)', () => {
  it('is the same for the same normalised request, whatever the key order or spelled-out defaults', () => {
    const plain = requestFingerprint({ request: request({}) });
    expect(requestFingerprint({ request: request({ mode: 'std', duration: 5 }) })).toBe(plain);
    const reordered = Object.fromEntries(Object.entries(request({})).reverse());
    expect(requestFingerprint({ request: reordered as ReturnType<typeof request> })).toBe(plain);
    expect(requestFingerprint({ request: request({}), maxCost: undefined })).toBe(plain);
  });

  it('differs when the request, the providers or the budget differ', () => {
    const base = { request: request({}), providers: ['hyprlab' as const], maxCost: 1 };
    const fingerprint = requestFingerprint(base);
    expect(requestFingerprint({ ...base, request: request({ prompt: 'a blue kite' }) })).not.toBe(
      fingerprint,
    );
    expect(requestFingerprint({ ...base, providers: ['kling'] })).not.toBe(fingerprint);
    expect(requestFingerprint({ ...base, providers: undefined })).not.toBe(fingerprint);
    expect(requestFingerprint({ ...base, maxCost: 2 })).not.toBe(fingerprint);
  });
});
