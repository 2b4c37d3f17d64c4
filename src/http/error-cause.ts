/**
 * undici and the Temporal SDK wrap errors (a connect error inside a fetch error inside…), so the
 * interesting one can sit a few causes deep. This is the one walker of a cause chain.
 */
export function findCause<T>(
  error: unknown,
  matches: (candidate: unknown) => candidate is T,
  maxDepth = 6,
): T | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < maxDepth && current; depth++) {
    if (matches(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The first string `code` in the cause chain (`ECONNRESET`, `UND_ERR_CONNECT_TIMEOUT`, …). */
export function errorCode(error: unknown): string | undefined {
  const found = findCause(
    error,
    (candidate): candidate is { code: string } =>
      typeof (candidate as { code?: unknown }).code === 'string',
  );
  return found?.code;
}
