/** Gathers what the hints look at: records at the usual wrong places, and negative caching at the record host. */
import { planProbes, type HostValues, type ProbeObservations } from "../hints";
import { observeNegativeCaching } from "./negative-caching";
import { normalizeHostName, normalizeTxtValue } from "../records";
import type { VantagePointLookup } from "./resolver-lookup";

/** Every probe goes to every vantage point, so a record one of them already serves is seen. */
export async function gatherProbes(
  points: VantagePointLookup[],
  name: string,
  recordHost: string,
): Promise<ProbeObservations> {
  const plan = planProbes(name, recordHost);
  const hosts: Record<string, HostValues> = {};
  const valuesAt = (host: string) => (hosts[host] ??= { txt: [], cname: [] });
  const add = (list: string[], values: string[]) => {
    for (const value of values) if (!list.includes(value)) list.push(value);
  };
  // A TXT query at a CNAME answers with the target's records, so misplaced CNAMEs need their own query.
  const misplaced = [...(plan.zoneTwice ? [plan.zoneTwice] : []), ...plan.wrongPrefixes];

  const lookups = points.flatMap((point) => [
    ...[...misplaced, plan.domain].map(async (host) => {
      const result = await point.txt(host);
      add(valuesAt(host).txt, result.ok ? result.records.map((chunks) => normalizeTxtValue(chunks)) : []);
    }),
    ...misplaced.map(async (host) => {
      const result = await point.cname(host);
      add(valuesAt(host).cname, result.ok ? result.records.map(normalizeHostName) : []);
    }),
  ]);
  const negativeCaching = Promise.all(points.map((point) => observeNegativeCaching(point, recordHost)));
  await Promise.all(lookups);
  return {
    hosts,
    negativeCaching: (await negativeCaching).filter((observation) => observation !== null),
  };
}
