import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * True for an IP literal that is an ordinary public unicast address. Everything else (loopback,
 * private, link-local, CGNAT, multicast, reserved, unique-local…) is refused unless
 * KLINGFLOW_ALLOW_PRIVATE_NETWORK is on, so a hostile or compromised provider (or a result URL
 * it returns) cannot make the worker fetch from its own network. An allow-list of one range
 * (ipaddr.js's `unicast`) cannot miss a range the way a hand-kept blocklist did.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  // process() unwraps IPv4-mapped IPv6 (::ffff:a.b.c.d) into the IPv4 address it reaches.
  const parsed: Address = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.range() === 'unicast';
  const embedded = embeddedIpv4(parsed as ipaddr.IPv6);
  if (embedded) return embedded.length > 0 && embedded.every((v4) => v4.range() === 'unicast');
  return parsed.range() === 'unicast';
}

/** An IP literal that is not public; host names are judged at connect time, after DNS. */
export function isPrivateAddress(address: string): boolean {
  return ipaddr.isValid(address) && !isPublicAddress(address);
}

/**
 * The IPv4 hosts an IPv6 address reaches through a translation or tunnel mechanism: 6to4
 * (2002::/16), Teredo (2001::/32, server and obfuscated client), NAT64 (64:ff9b::/96),
 * IPv4-translated (::ffff:0:a.b.c.d) and the deprecated IPv4-compatible form (::a.b.c.d).
 * Each is judged by the IPv4 host it ends up at. An empty list means "a translation form whose
 * IPv4 host cannot be told" (local-use NAT64, 64:ff9b:1::/48), which is refused.
 */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4[] | undefined {
  const bytes = address.toByteArray();
  const v4 = (offset: number, mask = 0) =>
    new ipaddr.IPv4(bytes.slice(offset, offset + 4).map((byte) => byte ^ mask));
  switch (address.range()) {
    case '6to4':
      return [v4(2)];
    case 'teredo':
      return [v4(4), v4(12, 0xff)];
    case 'rfc6145':
      return [v4(12)];
    case 'rfc6052':
      return address.parts[2] === 0 ? [v4(12)] : [];
    default:
      break;
  }
  const compatible = address.parts.slice(0, 6).every((part) => part === 0);
  if (compatible && address.range() === 'unicast') return [v4(12)];
  return undefined;
}

/** Strips the brackets an IPv6 literal has in a URL host. */
export function hostnameOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}
