import { DomainStatus } from "../shared/domain-status";
import type { VerificationCheckData } from "../verification/types";
import { valuesCarryToken } from "../verification/records";
import { namesAccount } from "../verification/persist";

/** What a check means for who owns the name. */
export type OwnershipDecision<Claim> =
  /** Nobody else holds the name verified, or the check did not find the claim's record: nothing changes hands. */
  | { kind: "keep" }
  /** Another account holds the name verified and its record is still published: the check counts as VERIFIED_BY_ANOTHER_ACCOUNT. */
  | { kind: "blockedByHolder"; holder: Claim }
  /** Another account holds the name verified but its record is gone: the holder is revoked and the claim verified. */
  | { kind: "revokeHolder"; holder: Claim };

type NameClaim = { id: string; status: DomainStatus; token: string; accountId: string; lastCheck?: { method: string | null } | null };

/**
 * Ownership of a name is exclusive and moves only on DNS evidence: a VERIFIED check of one
 * claim meets the name's VERIFIED holder, if any, among `claims` (every claim of the name).
 */
export function decideOwnership<Claim extends NameClaim>(
  check: Pick<VerificationCheckData, "outcome" | "foundValues"> & { method?: VerificationCheckData["method"] },
  claims: readonly Claim[],
  claimId: string,
  cnameZone: string,
): OwnershipDecision<Claim> {
  if (check.outcome !== "VERIFIED") return { kind: "keep" };
  const holder = claims.find((d) => d.id !== claimId && d.status === DomainStatus.VERIFIED);
  if (!holder) return { kind: "keep" };
  // The holder's token record, or its persistent record, still published: the name stays the holder's.
  const stillPublished =
    valuesCarryToken(check.foundValues, holder.token, cnameZone) || check.foundValues.some((value) => namesAccount(value, holder.accountId));
  // A holder verified by a persistent record keeps the name against a check that never looked at persistent records:
  // its own re-checks decide whether that record is gone, and revoke it after the grace period if it is.
  const unseenPersistent = holder.lastCheck?.method === "PERSISTENT" && check.method !== "PERSISTENT";
  return stillPublished || unseenPersistent ? { kind: "blockedByHolder", holder } : { kind: "revokeHolder", holder };
}
