/**
 * Which IP addresses dnsproof may send traffic to on a stranger's say-so (a claimant's NS
 * records, later a webhook URL). Public means globally reachable unicast; everything the IANA
 * special-purpose registries do not mark globally reachable is refused, and so is anything that
 * embeds or translates to another address (NAT64, 6to4, Teredo, IPv4-mapped and -compatible),
 * because the address it ends up at cannot be judged from here.
 *
 * IPv4: https://www.iana.org/assignments/iana-ipv4-special-registry/
 * IPv6: https://www.iana.org/assignments/iana-ipv6-special-registry/
 */
import ipaddr from "ipaddr.js";

/** IPv4 special-purpose prefixes that are not globally reachable (RFC 6890 and successors), plus multicast (RFC 5771). */
export const NON_PUBLIC_IPV4_PREFIXES: readonly string[] = [
  "0.0.0.0/8", // "this network" (RFC 791)
  "10.0.0.0/8", // private (RFC 1918)
  "100.64.0.0/10", // shared address space, carrier-grade NAT (RFC 6598)
  "127.0.0.0/8", // loopback (RFC 1122)
  "169.254.0.0/16", // link local (RFC 3927)
  "172.16.0.0/12", // private (RFC 1918)
  "192.0.0.0/24", // IETF protocol assignments (RFC 6890), DS-Lite and NAT64 discovery among them
  "192.0.2.0/24", // documentation, TEST-NET-1 (RFC 5737)
  "192.88.99.0/24", // deprecated 6to4 relay anycast (RFC 7526)
  "192.168.0.0/16", // private (RFC 1918)
  "198.18.0.0/15", // benchmarking (RFC 2544)
  "198.51.100.0/24", // documentation, TEST-NET-2 (RFC 5737)
  "203.0.113.0/24", // documentation, TEST-NET-3 (RFC 5737)
  "224.0.0.0/4", // multicast (RFC 5771)
  "240.0.0.0/4", // reserved (RFC 1112)
  "255.255.255.255/32", // limited broadcast (RFC 919)
];

/** IPv6 special-purpose prefixes that are not globally reachable, or that stand for another address. */
export const NON_PUBLIC_IPV6_PREFIXES: readonly string[] = [
  "::/128", // unspecified (RFC 4291)
  "::1/128", // loopback (RFC 4291)
  "::/96", // IPv4-compatible, deprecated (RFC 4291)
  "::ffff:0:0/96", // IPv4-mapped (RFC 4291)
  "64:ff9b::/96", // NAT64 well-known prefix (RFC 6052): translates to any IPv4 address, private ones included
  "64:ff9b:1::/48", // NAT64 local use (RFC 8215)
  "100::/64", // discard only (RFC 6666)
  "100:0:0:1::/64", // dummy prefix (RFC 9780)
  "2001::/23", // IETF protocol assignments (RFC 2928): Teredo, benchmarking, ORCHID and others
  "2001:db8::/32", // documentation (RFC 3849)
  "2002::/16", // 6to4 (RFC 3056)
  "3fff::/20", // documentation (RFC 9637)
  "5f00::/16", // SRv6 SIDs (RFC 9602)
  "fc00::/7", // unique local (RFC 4193)
  "fe80::/10", // link local (RFC 4291)
  "fec0::/10", // site local, deprecated (RFC 3879)
  "ff00::/8", // multicast (RFC 4291)
];

/** Only global unicast space (RFC 4291 §2.4) is ever public; the rest of IPv6 is unassigned. */
const GLOBAL_UNICAST_IPV6 = ipaddr.parseCIDR("2000::/3");

const ipv4Prefixes = NON_PUBLIC_IPV4_PREFIXES.map((prefix) => ipaddr.IPv4.parseCIDR(prefix));
const ipv6Prefixes = NON_PUBLIC_IPV6_PREFIXES.map((prefix) => ipaddr.IPv6.parseCIDR(prefix));

/**
 * Whether `address` (dotted-quad IPv4 or IPv6, as DNS answers carry them) is a globally reachable
 * unicast address. Anything that does not parse, or parses only in a legacy form (`0x7f.1`,
 * `127.1`), is not public: unclear input fails closed.
 */
export function isPublicAddress(address: string): boolean {
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) {
    const ip = ipaddr.IPv4.parse(address);
    return !ipv4Prefixes.some((prefix) => ip.match(prefix));
  }
  if (!address.includes(":") || !ipaddr.IPv6.isValid(address)) return false;
  const ip = ipaddr.IPv6.parse(address);
  // A zone index (fe80::1%eth0) only means something on a local link.
  if (ip.zoneId) return false;
  return ip.match(GLOBAL_UNICAST_IPV6) && !ipv6Prefixes.some((prefix) => ip.match(prefix));
}
