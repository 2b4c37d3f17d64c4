import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  redactCallbackTokens,
  toActivityFailure,
} from '../../../src/activities/provider-failure.js';
import { ProviderError } from '../../../src/errors.js';
import { ImageResolveError } from '../../../src/storage/image-resolver.js';

describe('provider errors at the activity boundary', () => {
  it('keeps transient errors retryable and carries Retry-After as the next retry delay', () => {
    const failure = toActivityFailure(
      new ProviderError('transient', 'kling', 'HTTP 429', { retryAfterMs: 7000 }),
      { submit: true },
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'ProviderTransient',
      nonRetryable: false,
      nextRetryDelay: 7000,
    });
  });

  it('makes an ambiguous submit final, so it is never re-sent by a retry', () => {
    const failure = toActivityFailure(
      new ProviderError('transient', 'hyprlab', 'socket closed', { ambiguous: true }),
      { submit: true },
    );
    expect(failure).toMatchObject({ type: 'AmbiguousSubmit', nonRetryable: true });
  });

  it('treats an ambiguous status call as an ordinary transient error', () => {
    const failure = toActivityFailure(
      new ProviderError('transient', 'hyprlab', 'socket closed', { ambiguous: true }),
      { submit: false },
    );
    expect(failure).toMatchObject({ type: 'ProviderTransient', nonRetryable: false });
  });

  it.each([
    ['provider-unavailable', 'ProviderUnavailable'],
    ['invalid-request', 'InvalidRequest'],
    ['content-rejected', 'ContentRejected'],
  ] as const)('makes %s final for this provider (type %s)', (kind, type) => {
    expect(
      toActivityFailure(new ProviderError(kind, 'kling', 'no'), { submit: true }),
    ).toMatchObject({ type, nonRetryable: true });
  });

  it('makes any other error of a submit ambiguous: only the provider answer is not', () => {
    expect(toActivityFailure(new TypeError('boom'), { submit: true })).toMatchObject({
      type: 'AmbiguousSubmit',
      nonRetryable: true,
    });
    const plain = new TypeError('boom');
    expect(toActivityFailure(plain, { submit: false })).toBe(plain);
  });

  it('makes an unreadable request image an invalid request, and a flaky image host transient', () => {
    expect(
      toActivityFailure(new ImageResolveError('image-fetch-failed', 'image 404'), { submit: true }),
    ).toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
    expect(
      toActivityFailure(
        new ImageResolveError('image-fetch-failed', 'HTTP 503', { retryable: true }),
        {
          submit: true,
        },
      ),
    ).toMatchObject({ type: 'ProviderTransient', nonRetryable: false });
  });

  it('cuts callback tokens out of echoed request bodies', () => {
    const echoed =
      'HTTP 400: bad body {"callback_url":"https://hooks.example.com/callbacks/job-1/2/AbCdEfGhIjKlMnOpQrStUvWxYz012345"}';
    const failure = toActivityFailure(new ProviderError('invalid-request', 'kling', echoed), {
      submit: true,
    }) as ApplicationFailure;
    expect(failure.message).not.toContain('AbCdEfGhIjKlMnOpQrStUvWxYz012345');
    expect(failure.message).toContain('/callbacks/job-1/2/[redacted]');
    expect(redactCallbackTokens('nothing to hide')).toBe('nothing to hide');
  });

  it.each([
    ['JSON-escaped', 'https:\\/\\/hooks.example.com\\/callbacks\\/job%3A1\\/2\\/'],
    ['percent-encoded', 'https%3A%2F%2Fhooks.example.com%2Fcallbacks%2Fjob%253A1%2F2%2F'],
    ['lower-case percent-encoded', 'https%3a%2f%2fhooks.example.com%2fcallbacks%2fjob-1%2f2%2f'],
    [
      'double percent-encoded',
      'https%253A%252F%252Fhooks.example.com%252Fcallbacks%252Fjob-1%252F2%252F',
    ],
  ])('cuts callback tokens out of %s echoes', (_, prefix) => {
    const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345';
    const redacted = redactCallbackTokens(`HTTP 400: {"callback_url":"${prefix}${token}"}`);
    expect(redacted).not.toContain(token);
    expect(redacted).toContain(`${prefix}[redacted]`);
  });
});
