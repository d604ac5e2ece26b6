/**
 * Which lookups a perspective answers: TXT and CNAME at a claim's record host (either scope's), at the hosts its
 * persistent records may be at (its own name's and each name above it up to the registrable domain) and at the
 * places the hint engine probes for misplaced records, nothing else, so it is no open resolver.
 */
import { planProbes } from "../verification/hints";
import { fitsInDns } from "../verification/names";
import { claimPersistHosts } from "../verification/persist";
import { subtreeHost, verificationHost } from "../verification/records";
import { LOOKUP_TYPES, type LookupRequest, type LookupType } from "./channel";

export const MAX_LOOKUPS_PER_REQUEST = 16;

const NAME = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;

/** The hosts a verification of `name` may ask about. */
export function hostsOf(name: string): Set<string> {
  const plan = planProbes(name);
  const persistHosts = claimPersistHosts(name).map((at) => at.host);
  return new Set([verificationHost(name), subtreeHost(name), ...persistHosts, plan.domain, ...(plan.zoneTwice ? [plan.zoneTwice] : []), ...plan.wrongPrefixes]);
}

export type ScopeCheck = { ok: true; request: LookupRequest } | { ok: false; status: 400 | 403; message: string };

/** The request as the perspective will answer it, or why not: 400 for a malformed one, 403 for a host outside the claim's. */
export function checkScope(body: unknown): ScopeCheck {
  const request = body as Partial<LookupRequest> | null;
  if (!request || typeof request !== "object") return bad("the body must be a JSON object");
  const { name, lookups, nonce, timeoutMs } = request;
  if (typeof nonce !== "string" || !/^[0-9a-f]{16,64}$/.test(nonce)) return bad("nonce must be 16 to 64 hex characters");
  if (typeof name !== "string" || !NAME.test(name) || !fitsInDns(name)) return bad("name must be a lower-case ASCII domain name");
  if (!Array.isArray(lookups) || lookups.length === 0 || lookups.length > MAX_LOOKUPS_PER_REQUEST) {
    return bad(`lookups must list 1 to ${MAX_LOOKUPS_PER_REQUEST} lookups`);
  }
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000)) return bad("timeoutMs must be 1 to 60000");
  const allowed = hostsOf(name);
  for (const lookup of lookups) {
    if (!lookup || typeof lookup.host !== "string" || !(LOOKUP_TYPES as readonly string[]).includes(lookup.type)) {
      return bad("each lookup needs a host and a type, TXT or CNAME");
    }
    if (!allowed.has(lookup.host)) {
      return { ok: false, status: 403, message: `${lookup.host} is not a verification record host of ${name}: this service only looks those up` };
    }
  }
  return { ok: true, request: { name, nonce, timeoutMs, lookups: lookups.map(({ host, type }) => ({ host, type: type as LookupType })) } };
}

function bad(message: string): ScopeCheck {
  return { ok: false, status: 400, message };
}
