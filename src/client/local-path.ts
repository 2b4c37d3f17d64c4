import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../errors.js';

/** Builds the ValidationError for the request field being read. */
export type Invalid = (
  message: string,
  allowed?: readonly string[],
  cause?: unknown,
) => ValidationError;

/** The ValidationError builder for one field of a request (at `location` in a batch file). */
export function fieldInvalid(field: string, location: string | undefined): Invalid {
  return (message, allowed, cause) =>
    new ValidationError(
      [{ field, message, ...(allowed ? { allowed } : {}), ...(location ? { location } : {}) }],
      { cause },
    );
}

/** A plain path or a `file:` URL (`file:///home/me/my%20pic.png` → `/home/me/my pic.png`). */
export function localPath(value: string, invalid: Invalid): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
  if (scheme !== undefined && scheme.toLowerCase() !== 'file') {
    // Read as a path, `ftp://host/a.png` would fail as a missing file named `ftp:/host/a.png`.
    throw invalid(`${scheme}: URLs are not supported`, [
      'http(s) URL',
      'data URI',
      'local path',
      'file: URL',
    ]);
  }
  if (!/^file:/i.test(value)) return resolve(value);
  try {
    return fileURLToPath(value);
  } catch (cause) {
    throw invalid(
      `${value} is not a usable file URL (${(cause as Error).message})`,
      undefined,
      cause,
    );
  }
}
