/**
 * Authoritative mode's first step: which nameservers serve the record host's zone, and where they are.
 * Asked through the configured resolvers; every resolver in parallel, the first definite answer wins.
 */
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

export async function discoverNameservers(
  name: string,
  resolvers: VantagePointLookup[],
  port: number,
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
  const nameservers = perName.flat().filter((ns) => !seen.has(ns.address.address) && seen.add(ns.address.address));
  if (nameservers.length === 0) {
    return { ok: false, reason: `no address was found for the nameservers of ${choice.zone} (${names.join(", ")})` };
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
