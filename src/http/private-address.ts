import { isIP } from 'node:net';

/**
 * Loopback, private, link-local, CGNAT, multicast and unspecified ranges. A provider (or a
 * result URL it returns) pointing here is refused unless KLINGFLOW_ALLOW_PRIVATE_NETWORK is on,
 * so a hostile or compromised provider cannot make the worker fetch from its own network.
 */
export function isPrivateAddress(address: string): boolean {
  const version = isIP(address);
  if (version === 4) return isPrivateIpv4(address);
  if (version === 6) return isPrivateIpv6(address.toLowerCase());
  return false;
}

function isPrivateIpv4(address: string): boolean {
  const [a = 0, b = 0] = address.split('.').map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function isPrivateIpv6(address: string): boolean {
  if (address === '::' || address === '::1') return true;
  const mappedV4 = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mappedV4?.[1]) return isPrivateIpv4(mappedV4[1]);
  return /^(fc|fd|fe8|fe9|fea|feb|ff)/.test(address);
}

/** Strips the brackets an IPv6 literal has in a URL host. */
export function hostnameOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}
