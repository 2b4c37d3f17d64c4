/**
 * The resend allow-list (issue 9, rule 1), in one place. A failed submit may be re-sent only
 * when the failure proves the provider did not take it:
 * (a) nothing was written: connection refused, DNS failure, no route, connect timeout, TLS
 *     handshake failure;
 * (b) the provider itself answered with its own error envelope (parsed by the adapter's
 *     envelope schema) for a 4xx, 500 or 503.
 * Everything else is ambiguous: 502/504/52x, any 5xx whose body is not the envelope (a
 * gateway's HTML page), an unreadable 2xx, timeouts, resets after writing, any other error.
 */

/** Network error codes raised before any byte of the request could reach the provider. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** TLS handshake failures: the handshake ends before the request is written. */
const TLS_HANDSHAKE_CODES: ReadonlySet<string> = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** (a): true when a network error code proves the request never left this machine. */
export function provesNotSent(code: string | undefined): boolean {
  return code !== undefined && (NOT_SENT_CODES.has(code) || TLS_HANDSHAKE_CODES.has(code));
}

/**
 * (b): true when an HTTP answer proves the provider took nothing. Only the provider's own
 * envelope counts: a gateway in front of it can answer any status after the origin created
 * the task. A 2xx carrying the envelope's error code is the provider refusing, too.
 */
export function provesNotTaken(httpStatus: number, inProviderEnvelope: boolean): boolean {
  if (!inProviderEnvelope) return false;
  return (
    (httpStatus >= 200 && httpStatus < 300) ||
    (httpStatus >= 400 && httpStatus < 500) ||
    httpStatus === 500 ||
    httpStatus === 503
  );
}
