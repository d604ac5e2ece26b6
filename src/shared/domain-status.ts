import { registerEnumType } from "type-graphql";
import { RowRule, matches, opposite } from "./row-rule";

export enum DomainStatus {
  PENDING = "PENDING",
  VERIFIED = "VERIFIED",
  FAILED = "FAILED",
  EXPIRED = "EXPIRED",
  REVOKED = "REVOKED",
}

registerEnumType(DomainStatus, {
  name: "DomainStatus",
  description: "Where a claim stands in its lifecycle",
  valuesConfig: {
    PENDING: { description: "Claimed; the DNS record has not been found yet" },
    VERIFIED: { description: "Ownership proven; re-checked periodically" },
    FAILED: { description: "The last verification attempt did not find the record; verifying again is allowed" },
    EXPIRED: {
      description: "Not verified before the token expired (30 days by default); regenerate the token to try again",
    },
    REVOKED: {
      description:
        "Was verified, but re-verification kept failing past the grace period (or another account proved control)",
    },
  },
});

/** Statuses whose token can still run out: the claim has never been proven. */
export const UNPROVEN_STATUSES: readonly DomainStatus[] = [DomainStatus.PENDING, DomainStatus.FAILED];

/** An unproven claim whose token has run out by the instant asked about: only a new token helps. */
export const TOKEN_LAPSED: RowRule<DomainStatus, "tokenExpiresAt"> = [{ statuses: UNPROVEN_STATUSES, compare: { column: "tokenExpiresAt", op: "<=" } }];

/**
 * Old enough for cleanup at a cutoff: EXPIRED since its token ran out, REVOKED since it was
 * last touched. Cleanup expires lapsed claims first, so those count too.
 */
export const STALE: RowRule<DomainStatus, "tokenExpiresAt" | "updatedAt"> = [
  { statuses: [DomainStatus.EXPIRED], compare: { column: "tokenExpiresAt", op: "<=" } },
  { statuses: [DomainStatus.REVOKED], compare: { column: "updatedAt", op: "<=" } },
];

/** Whether `domain` is unproven and its token has run out by `at`. */
export function tokenHasLapsed(domain: { status: DomainStatus; tokenExpiresAt: Date }, at: Date): boolean {
  return matches(TOKEN_LAPSED, domain, at);
}

/**
 * The status a reader sees. An unproven claim whose token ran out is EXPIRED from that
 * instant, even before a sweep writes it, so no client ever sees a stale PENDING.
 */
export function effectiveStatus(domain: { status: DomainStatus; tokenExpiresAt: Date }, now: Date): DomainStatus {
  return tokenHasLapsed(domain, now) ? DomainStatus.EXPIRED : domain.status;
}

/** The rows `effectiveStatus` reads as `status`, as a rule for queries that filter by it. */
export function hasEffectiveStatus(status: DomainStatus): RowRule<DomainStatus, "tokenExpiresAt"> {
  if (status === DomainStatus.EXPIRED) return [{ statuses: [DomainStatus.EXPIRED] }, ...TOKEN_LAPSED];
  const lapsing = TOKEN_LAPSED.find((clause) => clause.statuses.includes(status));
  return lapsing?.compare ? [{ statuses: [status], compare: opposite(lapsing.compare) }] : [{ statuses: [status] }];
}
