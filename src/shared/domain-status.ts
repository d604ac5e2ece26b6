import { registerEnumType } from "type-graphql";

/**
 * The statuses alone, in a leaf, because the audit log records them and may import no
 * feature; the rules about them (what a reader sees, when a token lapses) are domains'
 * (src/domains/status-rules.ts).
 */
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
