import { registerEnumType } from "type-graphql";

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

/**
 * The status a reader sees. An unproven claim whose token ran out is EXPIRED from that
 * instant, even before a sweep writes it, so no client ever sees a stale PENDING.
 */
export function effectiveStatus(domain: { status: DomainStatus; tokenExpiresAt: Date }, now: Date): DomainStatus {
  if (UNPROVEN_STATUSES.includes(domain.status) && domain.tokenExpiresAt.getTime() <= now.getTime()) {
    return DomainStatus.EXPIRED;
  }
  return domain.status;
}
