/**
 * Persistent records on top of any DomainVerifier: when a claim's own record is definitely not
 * there (or not its), the account's records at `_dnsproof-persist.<name>` (and at the names above it, for
 * policy=subtree) are looked up through the same verifier and judged by persist.ts. The token
 * plays no part, so a regenerated token changes nothing; every re-check looks again, so a removed
 * or lapsed record fails like a removed token record and the grace period applies.
 */
import type { Clock } from "../shared/clock";
import { keptValues } from "./evidence";
import { accountUriOf, agreedValues, claimPersistHosts, decidePersistent, type PersistObservation } from "./persist";
import { majorityQuorum } from "./verifier";
import type { DomainVerifier, VerificationCheckData, VerificationRequest } from "./types";

export interface PersistentRecordSettings {
  /** PERSIST_ISSUER: every name a record may start with. */
  issuers: readonly string[];
  /** PUBLIC_URL: account URIs are `<PUBLIC_URL>/accounts/<account id>`. */
  publicUrl: string;
  clock: Clock;
}

export function withPersistentRecords(base: DomainVerifier, settings: PersistentRecordSettings): DomainVerifier {
  /** The lookups at every host a persistent record for the claim may be at, each through the base verifier. */
  const observe = (name: string): Promise<PersistObservation[]> =>
    Promise.all(
      claimPersistHosts(name).map(async (at): Promise<PersistObservation> => {
        const found = await base.verify({ name: at.name, token: "", previousTokens: [], host: at.host, hints: false });
        return { ...at, servers: found.servers, quorum: majorityQuorum(found.servers.length), dnssec: found.dnssec };
      }),
    );

  return {
    async verify(request: VerificationRequest): Promise<VerificationCheckData> {
      const check = await base.verify(request);
      // Asked only when the claim's own record settled nothing in its favour: a re-check of a
      // domain verified by its token costs no more queries, and a DNS failure ends the check as it is.
      if (!request.accountId || request.host || check.outcome === "VERIFIED" || check.outcome === "DNS_ERROR") return check;
      const observations = await observe(request.name);
      const accountUri = accountUriOf(request.accountId, settings.publicUrl);
      const decision = decidePersistent(request.name, observations, { issuers: settings.issuers, accountUri, now: settings.clock.now() });
      if (!decision.verified) return { ...check, hints: [...check.hints, ...decision.hints] };
      return {
        outcome: "VERIFIED",
        method: "PERSISTENT",
        checkedAt: settings.clock.now(),
        message:
          `Verified: ${decision.host} has the persistent record ${decision.value}, which names this account` +
          (decision.fromParent ? ` and, with policy=subtree, covers ${request.name}.` : "."),
        // Every value counted stays in the evidence, the token record host's too: ownership decisions read them.
        foundValues: keptValues([...new Set([decision.value, ...observations.flatMap(agreedValues), ...check.foundValues])]),
        hints: [],
        servers: observations.find((observation) => observation.host === decision.host)!.servers,
        dnssec: observations.find((observation) => observation.host === decision.host)!.dnssec ?? "UNVALIDATED",
        // What remote perspectives must see too, when they corroborate: this value at this host.
        persistentRecord: { host: decision.host, value: decision.value },
      };
    },
  };
}
