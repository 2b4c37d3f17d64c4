import { hasNoUnit, parseDuration } from '../config/duration.js';
import type { ValidationIssue } from '../errors.js';

/**
 * Below this a stuck-after is a unit mistake (`20` is milliseconds, not minutes) that would pay a
 * second provider for nearly every job: renders take minutes.
 */
export const MIN_STUCK_AFTER_MS = 60_000;

/**
 * The stuck-failover opt-in (`--failover-stuck-after`, `failoverStuckAfter` in batch lines and
 * client options): a duration such as `20m`, or a number of milliseconds. Without it an accepted
 * task pins the job to its provider; with it, a task stuck this long may be abandoned (it stays
 * in the spend ledger) and the next provider paid.
 *
 * Returns the milliseconds, or the issue naming `field` when the value is not a duration of at
 * least a minute.
 */
export function parseFailoverStuckAfter(
  value: unknown,
  field: string,
): { ms: number } | { issue: ValidationIssue } {
  const ms =
    typeof value === 'number'
      ? value
      : typeof value === 'string'
        ? parseDuration(value)
        : undefined;
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
    return {
      issue: {
        field,
        message: `${JSON.stringify(value)} is not a positive duration (examples: 20m, 1h, 90s, or milliseconds as a number)`,
      },
    };
  }
  if (ms < MIN_STUCK_AFTER_MS) {
    const bare = typeof value === 'string' && hasNoUnit(value);
    return {
      issue: {
        field,
        message: `${JSON.stringify(value)} is ${Math.round(ms)} ms: under a minute no render is stuck (they take 3–5 minutes), and the next provider would be paid beside it; use at least 1m${bare ? `; did you mean ${value.trim()}m?` : typeof value === 'number' ? ' (the number is milliseconds: 20 minutes is 1200000)' : ''}`,
      },
    };
  }
  return { ms: Math.round(ms) };
}
