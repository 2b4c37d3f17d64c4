import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors.js';
import {
  CALLBACK_TOKEN_LENGTH,
  callbackToken,
  callbackUrl,
  callbackUrlBuilder,
  resolveWebhookSecret,
  verifyCallbackToken,
} from '../../../src/webhooks/callback-token.js';

const SECRET = 'unit-test-webhook-secret-0123456789';

describe('callbackToken', () => {
  it('is base64url(HMAC-SHA256(secret, "workflowId\\nattempt")) cut to 32 characters', () => {
    const expected = createHmac('sha256', SECRET)
      .update('job-1\n2')
      .digest('base64url')
      .slice(0, 32);
    const token = callbackToken(SECRET, 'job-1', 2);

    expect(token).toBe(expected);
    expect(token).toHaveLength(CALLBACK_TOKEN_LENGTH);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('is the same for the same workflow and attempt, so any worker with the secret can verify it', () => {
    expect(callbackToken(SECRET, 'job-1', 1)).toBe(callbackToken(Buffer.from(SECRET), 'job-1', 1));
  });

  it('differs per workflow, per attempt and per secret', () => {
    const token = callbackToken(SECRET, 'job-1', 1);
    expect(callbackToken(SECRET, 'job-2', 1)).not.toBe(token);
    expect(callbackToken(SECRET, 'job-1', 2)).not.toBe(token);
    expect(callbackToken(`${SECRET}x`, 'job-1', 1)).not.toBe(token);
  });
});

describe('verifyCallbackToken', () => {
  const token = callbackToken(SECRET, 'job-1', 1);

  it('accepts the token issued for that workflow and attempt', () => {
    expect(verifyCallbackToken(SECRET, 'job-1', 1, token)).toBe(true);
  });

  it("refuses another attempt's, another workflow's or another secret's token", () => {
    expect(verifyCallbackToken(SECRET, 'job-1', 2, token)).toBe(false);
    expect(verifyCallbackToken(SECRET, 'job-2', 1, token)).toBe(false);
    expect(verifyCallbackToken('another-secret-0123456789', 'job-1', 1, token)).toBe(false);
  });

  it('refuses altered, truncated, extended and empty tokens without throwing', () => {
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(verifyCallbackToken(SECRET, 'job-1', 1, flipped)).toBe(false);
    expect(verifyCallbackToken(SECRET, 'job-1', 1, token.slice(0, 31))).toBe(false);
    expect(verifyCallbackToken(SECRET, 'job-1', 1, `${token}A`)).toBe(false);
    expect(verifyCallbackToken(SECRET, 'job-1', 1, '')).toBe(false);
    // Multi-byte characters: same character count, different byte length.
    expect(verifyCallbackToken(SECRET, 'job-1', 1, 'é'.repeat(32))).toBe(false);
  });
});

describe('callbackUrl', () => {
  it('is publicUrl/callbacks/<encoded workflow id>/<attempt>/<token>', () => {
    const url = callbackUrl('https://hooks.example.com/kf/', SECRET, 'batch/7 #1', 3);
    expect(url).toBe(
      `https://hooks.example.com/kf/callbacks/batch%2F7%20%231/3/${callbackToken(SECRET, 'batch/7 #1', 3)}`,
    );
  });

  it('gives no URL for the workflow ids "." and "..", which HTTP clients fold away', () => {
    expect(callbackUrl('https://hooks.example.com', SECRET, '.', 1)).toBeUndefined();
    expect(callbackUrl('https://hooks.example.com', SECRET, '..', 1)).toBeUndefined();
    expect(callbackUrl('https://hooks.example.com', SECRET, '...', 1)).toMatch(
      /\/callbacks\/\.\.\.\/1\//,
    );
  });

  it('callbackUrlBuilder gives the same URL as the worker dependency expects', () => {
    const build = callbackUrlBuilder('http://127.0.0.1:8080', SECRET);
    expect(build('job-1', 1)).toBe(callbackUrl('http://127.0.0.1:8080', SECRET, 'job-1', 1));
  });
});

describe('resolveWebhookSecret', () => {
  it('uses KLINGFLOW_WEBHOOK_SECRET when it is set', () => {
    const resolved = resolveWebhookSecret({ KLINGFLOW_WEBHOOK_SECRET: SECRET });
    expect(resolved.generated).toBe(false);
    expect(resolved.secret.toString('utf8')).toBe(SECRET);
  });

  it('makes a random 256-bit secret per process when it is unset', () => {
    const first = resolveWebhookSecret({});
    const second = resolveWebhookSecret({ KLINGFLOW_WEBHOOK_SECRET: '' });
    expect(first.generated).toBe(true);
    expect(first.secret).toHaveLength(32);
    expect(second.secret.equals(first.secret)).toBe(false);
  });

  it('refuses a short secret, naming the variable but not echoing the value', () => {
    let error: unknown;
    try {
      resolveWebhookSecret({ KLINGFLOW_WEBHOOK_SECRET: 'hunter2' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toMatch(/^KLINGFLOW_WEBHOOK_SECRET: must be at least 16 characters/);
    expect(message).not.toContain('hunter2');
  });
});
