import { isIP } from "node:net";
import { parseDnsServer, type DnsServerAddress } from "../dns-servers";
import { boolean, integer, Invalid, list, oneOf, type Parser } from "./parsers";
import { section, setting } from "./setting";
import type { Config } from "./types";

export const DEFAULT_CNAME_ZONE = "verify.dnsproof.dev";

/** One resolver entry, read by the parser the engine uses, so that nothing passing here fails there. */
export const dnsServer: Parser<{ written: string; address: DnsServerAddress }> = {
  accepts: "`ipv4`, `ipv4:port`, `[ipv6]` or `[ipv6]:port`",
  parse(raw, key) {
    const expected = `${key} entries must be "ipv4", "ipv4:port", "[ipv6]" or "[ipv6]:port" with a port from 1 to 65535`;
    // "::1:5353" is itself a valid IPv6 address: taken literally it would silently mean port 53.
    if (isIP(raw) === 6) return new Invalid(`${expected}; write "${raw}" as [address]:port or [address]; got "${raw}"`);
    try {
      return { written: raw, address: parseDnsServer(raw) };
    } catch {
      return new Invalid(`${expected}; got "${raw}"`);
    }
  },
};

// Twice the most (a TXT and a CNAME query each) must fit the 100 queries one verification may send.
const nameserverCap = integer({ min: 1, max: 32 });

const zoneName: Parser<string> = { accepts: "a DNS zone", parse: (raw) => raw.replace(/\.$/, "").toLowerCase() };

const settings = {
  servers: setting({
    env: "DNS_SERVERS",
    parser: list(dnsServer),
    default: "",
    defaultDoc: "the system's resolvers",
    doc: "resolvers, each a separate vantage point (IPv6 always in brackets: `::1:5353` is refused as ambiguous)",
  }),
  timeoutMs: setting({
    env: "DNS_TIMEOUT_MS",
    parser: integer({ min: 50, max: 60_000 }),
    default: "3000",
    doc: "deadline for one verification, all vantage points and hint probes included",
  }),
  quorum: setting({
    env: "DNS_QUORUM",
    parser: integer({ min: 1, max: 64 }),
    defaultDoc: "a majority",
    doc: "how many vantage points must agree before a result counts; in recursive mode at most the number of `DNS_SERVERS`",
  }),
  mode: setting({
    env: "DNS_MODE",
    parser: oneOf("recursive", "authoritative"),
    default: "recursive",
    doc: "`recursive` (ask the resolvers) or `authoritative` (find the zone's nameservers and ask each of them directly, bypassing caches)",
  }),
  authoritativePort: setting({
    env: "DNS_AUTHORITATIVE_PORT",
    parser: integer({ min: 1, max: 65535 }),
    default: "53",
    doc: "port the zone's nameservers are asked on in authoritative mode",
  }),
  allowPrivateNameservers: setting({
    env: "DNS_AUTHORITATIVE_ALLOW_PRIVATE",
    parser: boolean,
    default: "false",
    doc: "in authoritative mode, also ask nameservers at private, loopback or reserved addresses (a claimant controls its NS records; leave off outside tests and closed networks)",
  }),
  maxNameservers: setting({
    env: "DNS_MAX_NAMESERVERS",
    parser: nameserverCap,
    default: "8",
    doc:
      "in authoritative mode, how many nameserver addresses are asked at most. A claimant writes its NS records, so one verification also looks up " +
      "at most 13 NS names and 2 addresses per name, and sends at most 100 DNS queries, discovery and hint probes included; the check's message says when a set was cut",
  }),
  resolversValidate: setting({
    env: "DNS_RESOLVERS_VALIDATE",
    parser: boolean,
    default: "false",
    doc:
      "your statement that the `DNS_SERVERS` validate DNSSEC and are reached over a trusted path (loopback, or a network you control): their AD bit then makes an answer `SECURE`, " +
      "its absence `INSECURE`; in authoritative mode they are also asked for the record and give the check its DNSSEC status. Off, answers are `UNVALIDATED` " +
      "(a DNSSEC Extended DNS Error still makes them `BOGUS`)",
  }),
  dnssecPolicy: setting({
    env: "DNSSEC_POLICY",
    parser: oneOf("observe", "require-secure"),
    default: "observe",
    doc:
      "`observe` records each answer's DNSSEC status; `require-secure` verifies only `SECURE` answers (the outcome is otherwise `DNSSEC_INSECURE`), for deployments that issue credentials; " +
      "needs `DNS_RESOLVERS_VALIDATE=true`. A `BOGUS` zone never verifies under either policy",
  }),
  cnameZone: setting({
    env: "VERIFY_CNAME_ZONE",
    parser: zoneName,
    default: DEFAULT_CNAME_ZONE,
    doc: "zone of CNAME targets (`T1.T2.<zone>`, the token in two labels of 32)",
  }),
  concurrency: setting({
    env: "DNS_CONCURRENCY",
    parser: integer({ min: 1, max: 1000 }),
    default: "10",
    doc: "lookups in flight at once for scheduled and admin checks",
  }),
};

/** What the engine falls back on when it is not given DNS_MAX_NAMESERVERS: the same declaration. */
export const maxNameserversSetting = settings.maxNameservers;
export const maxNameserversBounds = nameserverCap.bounds;

export const dnsSection = section({
  title: "DNS verification",
  settings,
  build: ({ servers, ...v }): Pick<Config, "dns"> => ({
    dns: {
      ...v,
      servers: servers.map((server) => server.written),
      resolvers: servers.map((server) => server.address),
    },
  }),
});
