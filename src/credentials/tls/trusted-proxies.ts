import ipaddr from "ipaddr.js";

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** The names TRUST_PROXY accepts for well-known subnets, as Express (proxy-addr) defines them. */
const NAMED_SUBNETS: Record<string, string[]> = {
  loopback: ["127.0.0.1/8", "::1/128"],
  linklocal: ["169.254.0.0/16", "fe80::/10"],
  uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
};

/**
 * Whether the immediate peer (the socket's remote address, never X-Forwarded-For) is one of the
 * proxies `entries` names: addresses, subnets, or loopback, linklocal and uniquelocal. A list
 * only: a hop count or "true" would trust whoever connects directly.
 */
export function trustedPeerMatcher(entries: string[]): (remoteAddress: string | undefined) => boolean {
  const ranges = entries.flatMap((entry) => (NAMED_SUBNETS[entry] ?? [entry]).map(parseRange));
  return (remoteAddress) => {
    if (!remoteAddress || !ipaddr.isValid(remoteAddress)) return false;
    // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    const peer = ipaddr.process(remoteAddress);
    return ranges.some(([range, bits]) => inRange(peer, range, bits));
  };
}

function inRange(peer: ipaddr.IPv4 | ipaddr.IPv6, range: ipaddr.IPv4 | ipaddr.IPv6, bits: number): boolean {
  if (peer.kind() !== range.kind()) return false;
  return peer.kind() === "ipv4" ? (peer as ipaddr.IPv4).match(range as ipaddr.IPv4, bits) : (peer as ipaddr.IPv6).match(range as ipaddr.IPv6, bits);
}

/** One address or subnet; TRUST_PROXY was checked by loadConfig, so anything else is a programming error. */
function parseRange(entry: string): Range {
  const [address, bits] = entry.split("/");
  const parsed = ipaddr.process(address);
  const max = parsed.kind() === "ipv4" ? 32 : 128;
  // An IPv4-mapped address written as IPv6 became IPv4 above: its prefix counts the last 32 bits.
  const prefix = bits === undefined ? max : Math.max(0, Number(bits) - (ipaddr.IPv6.isValid(address) && parsed.kind() === "ipv4" ? 96 : 0));
  return [parsed, prefix];
}
