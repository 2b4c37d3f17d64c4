import { SignJWT } from 'jose';

/**
 * The official Kling API authenticates every call with a short-lived JWT made from the access
 * key and secret key (reference/providers.md §1): header `{alg: HS256, typ: JWT}`, payload
 * `{iss: accessKey, exp: now + 1800, nbf: now - 5}` in seconds, signed with the secret key.
 */

/** Lifetime the official docs use for a token. */
export const KLING_TOKEN_LIFETIME_SECONDS = 1800;
/** `nbf` is backdated so a provider clock slightly behind ours still accepts the token. */
export const KLING_TOKEN_NOT_BEFORE_SKEW_SECONDS = 5;
/** A cached token is replaced this long before it expires, so it never expires in flight. */
export const KLING_TOKEN_RENEW_MARGIN_SECONDS = 60;

export interface KlingCredentials {
  accessKey: string;
  secretKey: string;
}

/** Signs one token for the given time (milliseconds since the epoch). */
export async function signKlingToken(
  credentials: KlingCredentials,
  nowMs: number,
): Promise<string> {
  const nowSeconds = Math.floor(nowMs / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(credentials.accessKey)
    .setExpirationTime(nowSeconds + KLING_TOKEN_LIFETIME_SECONDS)
    .setNotBefore(nowSeconds - KLING_TOKEN_NOT_BEFORE_SKEW_SECONDS)
    .sign(new TextEncoder().encode(credentials.secretKey));
}

/** Hands out the current token, signing a new one only when the cached one is about to expire. */
export interface KlingTokenSource {
  /** The cached token while it has more than the renew margin left; a fresh one otherwise. */
  current(): Promise<string>;
  /** Drops the cached token and signs a new one (after the provider said it expired: code 1004). */
  renew(): Promise<string>;
}

export function createKlingTokenSource(
  credentials: KlingCredentials,
  now: () => number = Date.now,
): KlingTokenSource {
  let cached: { token: string; expiresAtSeconds: number } | undefined;
  // Concurrent calls share one signing instead of each making its own token.
  let signing: Promise<string> | undefined;

  function sign(): Promise<string> {
    if (signing) return signing;
    const issuedAtMs = now();
    signing = signKlingToken(credentials, issuedAtMs)
      .then((token) => {
        cached = {
          token,
          expiresAtSeconds: Math.floor(issuedAtMs / 1000) + KLING_TOKEN_LIFETIME_SECONDS,
        };
        return token;
      })
      .finally(() => {
        signing = undefined;
      });
    return signing;
  }

  return {
    current() {
      const nowSeconds = Math.floor(now() / 1000);
      if (cached && nowSeconds < cached.expiresAtSeconds - KLING_TOKEN_RENEW_MARGIN_SECONDS) {
        return Promise.resolve(cached.token);
      }
      return sign();
    },
    renew() {
      cached = undefined;
      return sign();
    },
  };
}
