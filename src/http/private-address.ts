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
  const embedded = embeddedIpv4(address);
  if (embedded) return isPrivateIpv4(embedded);
  return /^(fc|fd|fe8|fe9|fea|feb|ff)/.test(address);
}

/**
 * IPv4 carried inside IPv6: mapped (`::ffff:a.b.c.d`, which URL parsing rewrites to hex
 * `::ffff:7f00:1`), compatible (`::a.b.c.d`) and NAT64 (`64:ff9b::/96`). Each reaches the IPv4
 * host, so each is judged by that host.
 */
function embeddedIpv4(address: string): string | undefined {
  const match = address.match(
    /^(?:::ffff:|::|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/,
  );
  if (!match) return undefined;
  if (match[1]) return match[1];
  const high = Number.parseInt(match[2] ?? '0', 16);
  const low = Number.parseInt(match[3] ?? '0', 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Strips the brackets an IPv6 literal has in a URL host. */
export function hostnameOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}
