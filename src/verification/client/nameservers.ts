/**
 * Authoritative mode's first step: which nameservers serve the record host's zone, and where they are.
 * Asked through the configured resolvers; every resolver in parallel, the first definite answer wins.
 */
import { getDomain } from "tldts";
import { isPublicAddress } from "./addresses";
import { BUDGET_SPENT_CODE } from "./budget";
import { verificationHost } from "../records";
import type { VantagePointLookup } from "./resolver-lookup";
import type { DnsServerAddress } from "../../shared/dns-servers";
import type { QueryResult } from "../verifier";

export interface Nameserver {
  name: string;
  address: DnsServerAddress;
}

export type NameserverDiscovery =
  /** `notes`: sentences for the evidence, saying which sets were cut to their limits. */
  | { ok: true; zone: string; nameservers: Nameserver[]; notes: string[] }
  /** `failed`: the answer that stopped discovery, when one did; a DNSSEC failure there is the zone's to fix. */
  | { ok: false; reason: string; failed?: { by: string; result: QueryResult<string> } };

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
export function chooseZone(
  answers: { candidate: string; asked: Asked<string> }[],
): { zone: string; names: string[] } | { reason: string; failed?: Asked<string> } {
  for (const { candidate, asked } of answers) {
    const { result } = asked;
    if (result.ok) return { zone: candidate, names: result.records };
    if (result.failure !== "NXDOMAIN" && result.failure !== "NODATA") {
      return { reason: `${asked.by} ${failureWords(result)} when asked for the NS records of ${candidate}`, failed: asked };
    }
  }
  const last = answers[answers.length - 1];
  if (last && !last.asked.result.ok && last.asked.result.failure === "NXDOMAIN") {
    return { reason: `${last.candidate} does not exist in DNS, so it has no nameservers to ask` };
  }
  return { reason: `no NS records were found for ${answers.map((a) => a.candidate).join(", ")}` };
}

/** At most this many NS names are looked up: 13 is the most a parent zone's referral holds in practice (the root has 13). */
export const MAX_NS_NAMES = 13;
/** At most this many addresses of one NS name are asked: a name with many A/AAAA records is one server, not many. */
export const MAX_ADDRESSES_PER_NS_NAME = 2;

export interface DiscoveryLimits {
  /** Ask nameservers at private, loopback or reserved addresses; only for tests and closed networks. */
  allowPrivate: boolean;
  /** How many nameserver addresses become vantage points at most (DNS_MAX_NAMESERVERS). */
  maxNameservers: number;
}

export async function discoverNameservers(
  name: string,
  resolvers: VantagePointLookup[],
  port: number,
  limits: DiscoveryLimits,
): Promise<NameserverDiscovery> {
  const candidates = zoneCandidates(name);
  const answers = await Promise.all(
    candidates.map(async (candidate) => ({ candidate, asked: await firstDefinite(resolvers, (r) => r.ns(candidate)) })),
  );
  const choice = chooseZone(answers);
  if ("reason" in choice) return { ok: false, reason: choice.reason, failed: choice.failed };

  const notes: string[] = [];
  // Sorted, so which names are cut does not depend on the order a server happens to rotate them in.
  const allNames = [...new Set(choice.names.map((ns) => ns.toLowerCase().replace(/\.$/, "")))].sort();
  const names = allNames.slice(0, MAX_NS_NAMES);
  if (allNames.length > names.length) {
    notes.push(`${choice.zone} has ${allNames.length} NS names; only the first ${names.length} in alphabetical order were looked up.`);
  }
  let addressesCut = 0;
  const perName = await Promise.all(
    names.map(async (ns) => {
      const [v4, v6] = await Promise.all([firstDefinite(resolvers, (r) => r.ipv4(ns)), firstDefinite(resolvers, (r) => r.ipv6(ns))]);
      const ipv4 = v4.result.ok ? v4.result.records : [];
      const ipv6 = v6.result.ok ? v6.result.records : [];
      // One of each family first, so a dual-stack server is asked over both.
      const picked = [...ipv4.slice(0, 1), ...ipv6.slice(0, 1), ...ipv4.slice(1), ...ipv6.slice(1)].slice(0, MAX_ADDRESSES_PER_NS_NAME);
      addressesCut += ipv4.length + ipv6.length - picked.length;
      return picked.map((address) => ({ name: ns, address: { address, port, family: address.includes(":") ? (6 as const) : (4 as const) } }));
    }),
  );
  if (addressesCut > 0) notes.push(`${addressesCut} more nameserver addresses were not asked: at most ${MAX_ADDRESSES_PER_NS_NAME} are asked per NS name.`);
  const seen = new Set<string>();
  const found = interleave(perName).filter((ns) => !seen.has(ns.address.address) && seen.add(ns.address.address));
  if (found.length === 0) {
    return { ok: false, reason: `no address was found for the nameservers of ${choice.zone} (${names.join(", ")})` };
  }
  const usable = limits.allowPrivate ? found : found.filter((ns) => isPublicAddress(ns.address.address));
  if (usable.length === 0) {
    // Which private addresses they are is none of the caller's business: it would map our network for them.
    const count = found.length === 1 ? "one address" : `${found.length} addresses`;
    return { ok: false, reason: `the nameservers of ${choice.zone} resolve only to private or reserved addresses (${count}), which are never asked` };
  }
  const nameservers = usable.slice(0, limits.maxNameservers);
  if (usable.length > nameservers.length) {
    notes.push(`${nameservers.length} of the ${usable.length} nameserver addresses of ${choice.zone} were asked (at most ${limits.maxNameservers}, DNS_MAX_NAMESERVERS).`);
  }
  return { ok: true, zone: choice.zone, nameservers, notes };
}

/** The first address of every name, then the second of every name: a cut keeps as many different servers as it can. */
function interleave<T>(lists: T[][]): T[] {
  const longest = Math.max(0, ...lists.map((list) => list.length));
  return Array.from({ length: longest }, (_, i) => lists.flatMap((list) => (i < list.length ? [list[i]] : []))).flat();
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
    case "ERROR":
      if (result.code === BUDGET_SPENT_CODE) return "was not asked (the verification's budget of DNS queries was spent)";
      return `failed (${result.code})`;
    default:
      return `failed (${result.code})`;
  }
}
