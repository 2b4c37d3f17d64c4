import { ConfigurationError } from '../errors.js';

/**
 * A port this machine will not give (taken by another process, or privileged): a setting to
 * change, exit 2 naming it, not exit 1, which says a generation failed.
 */
export function portProblem(field: string, what: string, cause: unknown): Error {
  const code = (cause as NodeJS.ErrnoException).code;
  const reason =
    code === 'EADDRINUSE'
      ? 'it is already in use (another worker or program listens there)'
      : code === 'EACCES'
        ? 'this user may not listen on it'
        : cause instanceof Error
          ? cause.message
          : String(cause);
  return code === 'EADDRINUSE' || code === 'EACCES'
    ? new ConfigurationError(field, `${what}: ${reason}`, { cause })
    : new Error(`${what}: ${reason}`, { cause });
}
