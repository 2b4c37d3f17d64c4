import { describe, expect, it } from 'vitest';
import { createSourceRateLimit } from '../../../src/webhooks/source-rate-limit.js';

describe('per-source token bucket', () => {
  it('gives each source a burst, then its steady rate back over time', () => {
    let now = 0;
    const limit = createSourceRateLimit({ burst: 2, perSecond: 1, now: () => now });

    expect(limit.take('a').allowed).toBe(true);
    expect(limit.take('a').allowed).toBe(true);
    expect(limit.take('a')).toEqual({ allowed: false, retryAfterMs: 1000 });
    expect(limit.take('b').allowed).toBe(true);
    now = 500;
    expect(limit.take('a')).toEqual({ allowed: false, retryAfterMs: 500 });
    now = 1000;
    expect(limit.take('a').allowed).toBe(true);
    expect(limit.take('a').allowed).toBe(false);
  });

  it('remembers a bounded number of sources, forgetting idle ones first', () => {
    let now = 0;
    const limit = createSourceRateLimit({ burst: 1, perSecond: 1, maxSources: 2, now: () => now });
    limit.take('busy');
    limit.take('idle');
    now = 1000; // both refilled: both idle, both may be forgotten
    limit.take('busy');
    limit.take('new');
    // 'busy' is still empty, so it was kept, not given a fresh burst.
    expect(limit.take('busy').allowed).toBe(false);
  });
});
