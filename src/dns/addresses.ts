import net from "node:net";
import ipaddr from "ipaddr.js";

/**
 * True only for addresses reachable on the public internet: not loopback, private,
 * link-local, shared (CGNAT), multicast, documentation, benchmarking, NAT64, 6to4,
 * Teredo or any other special-purpose range (IANA's IPv4 and IPv6 special-purpose
 * registries). IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 * Anything that is not a plain IPv4 or IPv6 address (ipaddr also reads forms like "1.2.3") is not public.
 */
export function isPublicAddress(address: string): boolean {
  if (net.isIP(address) === 0) return false;
  const parsed = ipaddr.process(address);
  if (parsed.range() !== "unicast") return false;
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as ipaddr.IPv6;
    // Only 2000::/3 is allocated as global unicast; ipaddr calls the rest (IPv4-compatible ::/96, ::2, 100:0:0:1::/64 ...) unicast too.
    if (!v6.match(ipaddr.IPv6.parseCIDR("2000::/3"))) return false;
    // IETF protocol assignments (RFC 2928): none of them is a place to send requests to.
    if (v6.match(ipaddr.IPv6.parseCIDR("2001::/23"))) return false;
  }
  return true;
}
