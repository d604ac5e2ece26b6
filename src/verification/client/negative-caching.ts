/**
 * Reads how long a missing record stays missing in caches (RFC 2308): the authority section and
 * TTLs of a negative answer, which the DNS client hands out with every reply.
 */
import type { SoaData } from "dns-packet";
import type { NegativeCachingObservation } from "../hints";
import type { VantagePointLookup } from "./resolver-lookup";

/**
 * Asks for TXT at `host`; a negative answer carries the zone's SOA whose TTL is what caches keep
 * the absence for (from a cache: what is left of it). A second query reads the SOA's own TTL.
 * Null when the answer is not negative or the server does not say.
 */
export async function observeNegativeCaching(point: VantagePointLookup, host: string): Promise<NegativeCachingObservation | null> {
  const negative = await point.lookup(host, "TXT");
  if (negative.answer !== "NXDOMAIN" && negative.answer !== "NODATA") return null;
  const soaRecord = (negative.reply?.authorities ?? []).find((record) => record.type === "SOA") as
    | { name: string; ttl?: number; data: SoaData }
    | undefined;
  if (!soaRecord || typeof soaRecord.data?.minimum !== "number") return null;
  const zone = soaRecord.name.toLowerCase().replace(/\.$/, "");
  const apex = await point.lookup(zone, "SOA");
  const apexSoa = (apex.reply?.answers ?? []).find((record) => record.type === "SOA" && record.name.toLowerCase() === zone) as
    | { ttl?: number }
    | undefined;
  return {
    server: point.label,
    zone,
    soaTtl: apexSoa?.ttl ?? null,
    soaMinimum: soaRecord.data.minimum,
    secondsLeft: soaRecord.ttl ?? 0,
  };
}
