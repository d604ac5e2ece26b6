import { isIP } from "node:net";

/** Where to send DNS queries: a resolver from DNS_SERVERS, or a zone nameserver in authoritative mode. */
export interface DnsServerAddress {
  address: string;
  port: number;
  family: 4 | 6;
}

/**
 * Reads `ip`, `ip:port`, `[ipv6]`, `[ipv6]:port` or a bare IPv6 address, the forms DNS_SERVERS
 * and `dns.getServers()` use. Throws on anything else: a host name would need a lookup of its own.
 */
export function parseDnsServer(spec: string, defaultPort = 53): DnsServerAddress {
  const text = spec.trim();
  let address = text;
  let port = defaultPort;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    address = bracketed[1];
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(text) === 0) {
    const hostPort = /^([^:]+):(\d+)$/.exec(text);
    if (hostPort) {
      address = hostPort[1];
      port = Number(hostPort[2]);
    }
  }
  const family = isIP(address);
  if (family === 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`Not a DNS server address: "${spec}" (expected ip, ip:port or [ipv6]:port)`);
  }
  return { address, port, family: family as 4 | 6 };
}

/** The form `Resolver.setServers` accepts, and how a vantage point is named to people. */
export function formatDnsServer(server: DnsServerAddress): string {
  return server.family === 6 ? `[${server.address}]:${server.port}` : `${server.address}:${server.port}`;
}

/**
 * Refuses a quorum that can never be met; loadConfig (for DNS_QUORUM) and the engine both ask
 * here, so the two cannot disagree. In recursive mode the resolvers are every vantage point there
 * will be. In authoritative mode the zone's nameservers are, and how many a zone has is known only
 * when one of its claims is checked.
 */
export function checkDnsQuorum(quorum: number | undefined, mode: "recursive" | "authoritative", serverCount: number): void {
  if (quorum === undefined) return;
  if (!Number.isInteger(quorum) || quorum < 1) throw new RangeError(`DNS quorum must be a positive integer, not ${quorum}`);
  if (mode === "recursive" && quorum > serverCount) throw new RangeError(`DNS quorum ${quorum} cannot be met by ${serverCount} DNS servers`);
}
