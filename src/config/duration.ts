/** Parses `10s`, `1.5s`, `500ms`, `2m`, `1h`, `7d` or a bare number of milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = text.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2] ?? 'ms';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit] ?? 1;
  return Math.round(value * factor);
}

/**
 * A duration written without its unit (`10`, `3600`, `2.5`): milliseconds to parseDuration, but
 * seconds or minutes to most people who type one, so callers ask for the unit or suggest it.
 */
export function hasNoUnit(text: string): boolean {
  return /^\s*\d+(?:\.\d+)?\s*$/.test(text);
}
