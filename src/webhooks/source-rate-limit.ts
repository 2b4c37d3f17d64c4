/**
 * A token bucket per source address. A callback URL can be replayed by anyone who saw it; each
 * accepted replay is a workflow signal (and, in time, a status call), so one source gets a burst
 * and then a steady rate, and is answered 429 past it.
 */
export interface SourceRateLimitOptions {
  /** Requests a source may make at once. */
  burst: number;
  /** Requests per second a source gets back. */
  perSecond: number;
  /** Sources remembered at most; full buckets (idle sources) are forgotten first. */
  maxSources?: number;
  now?: () => number;
}

export interface SourceRateLimit {
  /** Takes one token for `source`; when there is none, how long until there is. */
  take(source: string): { allowed: true } | { allowed: false; retryAfterMs: number };
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createSourceRateLimit(options: SourceRateLimitOptions): SourceRateLimit {
  const now = options.now ?? Date.now;
  const maxSources = options.maxSources ?? 10_000;
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, at: number): void => {
    const earned = ((at - bucket.at) / 1000) * options.perSecond;
    bucket.tokens = Math.min(options.burst, bucket.tokens + earned);
    bucket.at = at;
  };

  const forgetIdle = (at: number): void => {
    for (const [source, bucket] of buckets) {
      refill(bucket, at);
      if (bucket.tokens >= options.burst) buckets.delete(source);
    }
    // Still full of busy sources: forget the oldest, which at worst gives one a fresh burst.
    for (const source of buckets.keys()) {
      if (buckets.size < maxSources) break;
      buckets.delete(source);
    }
  };

  return {
    take(source) {
      const at = now();
      let bucket = buckets.get(source);
      if (!bucket) {
        if (buckets.size >= maxSources) forgetIdle(at);
        bucket = { tokens: options.burst, at };
        buckets.set(source, bucket);
      }
      refill(bucket, at);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return {
        allowed: false,
        retryAfterMs: Math.ceil(((1 - bucket.tokens) / options.perSecond) * 1000),
      };
    },
  };
}
