import { parseDuration } from '../config/duration.js';
import type { ValidationIssue } from '../errors.js';

/**
 * The stuck-failover opt-in (`--failover-stuck-after`, `failoverStuckAfter` in batch lines and
 * client options): a duration such as `20m`, or a number of milliseconds. Without it an accepted
 * task pins the job to its provider; with it, a task stuck this long may be abandoned (it stays
 * in the spend ledger) and the next provider paid.
 *
 * Returns the milliseconds, or the issue naming `field` when the value is not a positive duration.
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
  return { ms: Math.round(ms) };
}
