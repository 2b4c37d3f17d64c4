/**
 * Lenient readers for provider bodies whose shape no seed documents: they take whatever fits
 * and never throw, so an adapter can try several known spellings of one field.
 */

/** The value as a plain object, or an empty one when it is anything else. */
export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The first non-empty string among the values. */
export function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.length > 0);
}

/** The first non-empty string or finite number among the values, as a string (task ids). */
export function firstId(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === 'string' && value.length > 0) return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

/** The human text of an error field: a string, or an object's `message`/`msg`/`detail`. */
export function errorText(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  const record = asRecord(value);
  return firstString(record.message, record.msg, record.detail, record.message_en);
}

/** JSON.parse that answers `undefined` (not a throw) for text that is not JSON. */
export function parseJsonText(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** True for an absolute http(s) URL, the only kind of video URL a provider may return. */
export function isHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\//i.test(value);
}
