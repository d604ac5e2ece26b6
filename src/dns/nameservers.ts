/**
 * Authoritative mode's first step: which nameservers serve the record host's zone, and where they are.
 * Asked through the configured resolvers; every resolver in parallel, the first definite answer wins.
 */
import { BlockList } from "node:net";
import { getDomain } from "tldts";
import { verificationHost } from "./records";
import type { VantagePointLookup } from "./resolver-lookup";
import type { DnsServerAddress } from "./servers";
import type { QueryResult } from "./verifier";

export interface Nameserver {
  name: string;
  address: DnsServerAddress;
}

export type NameserverDiscovery = { ok: true; zone: string; nameservers: Nameserver[] } | { ok: false; reason: string };

/** The names that could be the record host's zone apex, longest first, down to the registrable domain. */
export function zoneCandidates(name: string): string[] {
  const labels = verificationHost(name).split(".");
  const registrable = getDomain(name, { allowPrivateDomains: true });
  const shortest = registrable ? registrable.split(".").length : Math.min(2, labels.length);
  return labels.slice(0, labels.length - shortest + 1).map((_, i) => labels.slice(i).join("."));
}

interface Asked<T> {
  result: QueryResult<T>;
  /** Which resolver gave `result`. */
  by: string;
}

/**
 * The zone is the longest candidate with NS records. A candidate whose NS lookup failed might be
 * a zone cut we cannot see, so it stops the search rather than being skipped.
 */
export function chooseZone(answers: { candidate: string; asked: Asked<string> }[]): { zone: string; names: string[] } | { reason: string } {
  for (const { candidate, asked } of answers) {
    const { result } = asked;
    if (result.ok) return { zone: candidate, names: result.records };
    if (result.failure !== "NXDOMAIN" && result.failure !== "NODATA") {
      return { reason: `${asked.by} ${failureWords(result)} when asked for the NS records of ${candidate}` };
    }
  }
  const last = answers[answers.length - 1];
  if (last && !last.asked.result.ok && last.asked.result.failure === "NXDOMAIN") {
    return { reason: `${last.candidate} does not exist in DNS, so it has no nameservers to ask` };
  }
  return { reason: `no NS records were found for ${answers.map((a) => a.candidate).join(", ")}` };
}

/**
 * Addresses a zone's owner must not be able to point dnsproof at: a claimant controls its
 * NS records, so without this filter authoritative mode would send queries into our own network.
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) NON_PUBLIC.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [["::", 127], ["::ffff:0:0", 96], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8]] as const) {
  NON_PUBLIC.addSubnet(network, prefix, "ipv6");
}

export function isPublicAddress(address: string, family: 4 | 6): boolean {
  return !NON_PUBLIC.check(address, family === 4 ? "ipv4" : "ipv6");
}

export async function discoverNameservers(
  name: string,
  resolvers: VantagePointLookup[],
  port: number,
  allowPrivate = false,
): Promise<NameserverDiscovery> {
  const candidates = zoneCandidates(name);
  const answers = await Promise.all(
    candidates.map(async (candidate) => ({ candidate, asked: await firstDefinite(resolvers, (r) => r.ns(candidate)) })),
  );
  const choice = chooseZone(answers);
  if ("reason" in choice) return { ok: false, reason: choice.reason };

  const names = [...new Set(choice.names.map((ns) => ns.toLowerCase().replace(/\.$/, "")))];
  const perName = await Promise.all(
    names.map(async (ns) => {
      const [v4, v6] = await Promise.all([firstDefinite(resolvers, (r) => r.ipv4(ns)), firstDefinite(resolvers, (r) => r.ipv6(ns))]);
      return [
        ...(v4.result.ok ? v4.result.records.map((address) => ({ address, family: 4 as const })) : []),
        ...(v6.result.ok ? v6.result.records.map((address) => ({ address, family: 6 as const })) : []),
      ].map(({ address, family }) => ({ name: ns, address: { address, port, family } }));
    }),
  );
  const seen = new Set<string>();
  const found = perName.flat().filter((ns) => !seen.has(ns.address.address) && seen.add(ns.address.address));
  if (found.length === 0) {
    return { ok: false, reason: `no address was found for the nameservers of ${choice.zone} (${names.join(", ")})` };
  }
  const nameservers = allowPrivate ? found : found.filter((ns) => isPublicAddress(ns.address.address, ns.address.family));
  if (nameservers.length === 0) {
    const addresses = found.map((ns) => ns.address.address).join(", ");
    return { ok: false, reason: `the nameservers of ${choice.zone} resolve only to private or reserved addresses (${addresses}), which are never asked` };
  }
  return { ok: true, zone: choice.zone, nameservers };
}

/** Asks every resolver at once; the first records win, else a definite negative, else the first failure. */
function firstDefinite<T>(
  resolvers: VantagePointLookup[],
  ask: (resolver: VantagePointLookup) => Promise<QueryResult<T>>,
): Promise<Asked<T>> {
  return new Promise((resolve) => {
    const settled: Asked<T>[] = [];
    for (const resolver of resolvers) {
      void ask(resolver).then((result) => {
        if (result.ok) resolve({ result, by: resolver.label });
        settled.push({ result, by: resolver.label });
        if (settled.length === resolvers.length) {
          resolve(
            settled.find((a) => !a.result.ok && (a.result.failure === "NXDOMAIN" || a.result.failure === "NODATA")) ?? settled[0],
          );
        }
      });
    }
  });
}

function failureWords(result: QueryResult<unknown>): string {
  if (result.ok) return "answered";
  switch (result.failure) {
    case "TIMEOUT":
      return "did not answer in time";
    case "SERVFAIL":
      return "answered SERVFAIL";
    case "REFUSED":
      return "refused the query";
    default:
      return `failed (${result.code})`;
  }
}
