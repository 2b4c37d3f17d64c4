import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent } from 'undici';
import { findCause } from './error-cause.js';
import { hostnameOf, isPublicAddress } from './private-address.js';

export interface HttpTimeouts {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
};

export class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
  readonly kind = 'blocked-address' as const;
  readonly code = 'KLINGFLOW_BLOCKED_ADDRESS';
}

/**
 * An undici Agent whose DNS lookup refuses private and loopback addresses (unless allowed).
 * Checking at connect time, not only on the URL, also stops DNS names that resolve inward.
 */
export function createGuardedAgent(options: {
  allowPrivateNetwork: boolean;
  timeouts?: Partial<HttpTimeouts>;
}): Agent {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const guardedLookup: typeof dnsLookup = ((
    hostname: string,
    lookupOptions: object,
    callback: LookupCallback,
  ) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as LookupAddress[];
      const blocked =
        !options.allowPrivateNetwork && list.find((entry) => !isPublicAddress(entry.address));
      if (blocked) {
        return callback(
          new BlockedAddressError(
            `${hostname} resolves to private address ${blocked.address}; set KLINGFLOW_ALLOW_PRIVATE_NETWORK=1 to allow it`,
          ),
          '',
          0,
        );
      }
      if ((lookupOptions as { all?: boolean }).all)
        return (callback as unknown as AllCallback)(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  }) as typeof dnsLookup;

  return new Agent({
    connect: { timeout: timeouts.connectTimeoutMs, lookup: guardedLookup },
    headersTimeout: timeouts.headersTimeoutMs,
    bodyTimeout: timeouts.bodyTimeoutMs,
  });
}

/**
 * Refuses non-http(s) URLs and IP literals that are not public unicast (DNS names are checked
 * at connect, by the guarded agent). The one URL check for provider calls, downloads and images.
 */
export function assertFetchableUrl(rawUrl: string, allowPrivateNetwork: boolean): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch (cause) {
    throw new BlockedAddressError(`not a valid URL: ${redactUrl(rawUrl)}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BlockedAddressError(`only http(s) URLs are fetched, not ${url.protocol}`);
  }
  const host = hostnameOf(url).toLowerCase();
  const literal = isIP(host) !== 0;
  if (
    !allowPrivateNetwork &&
    ((literal && !isPublicAddress(host)) || host === 'localhost' || host.endsWith('.localhost'))
  ) {
    throw new BlockedAddressError(
      `${host} is a private or loopback address; set KLINGFLOW_ALLOW_PRIVATE_NETWORK=1 to allow it`,
    );
  }
  return url;
}

/** The guard's refusal, however deep undici wrapped it. */
export function findBlockedAddressError(error: unknown): BlockedAddressError | undefined {
  return findCause(error, (candidate) => candidate instanceof BlockedAddressError);
}

/** Query strings of result URLs often carry signed tokens; never print them. */
export function redactUrl(rawUrl: string): string {
  try {
    const url = new URL(rawUrl);
    return `${url.origin}${url.pathname}${url.search ? '?…' : ''}`;
  } catch {
    return rawUrl.length > 80 ? `${rawUrl.slice(0, 80)}…` : rawUrl;
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string,
  family: number,
) => void;
type AllCallback = (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;
