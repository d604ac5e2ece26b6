/**
 * What a VERIFIED SUBTREE claim gives its account, pure: which claims it covers, the check an
 * inherited verification records, and what happens to those claims when the parent goes.
 * Nothing here reads or writes; InheritanceService applies it in the caller's transaction.
 */
import type { Domain } from "./domain.entity";
import { DomainStatus } from "../shared/domain-status";
import { DomainScope, isUnder } from "../shared/domain-scope";
import { effectiveStatus } from "./status-rules";
import { tokenWindow } from "./token";
import type { AuditRecord } from "../audit/audit-log";
import { Actor, AuditAction, AuditReason, SYSTEM_ACTOR } from "../audit/audit.types";
import type { VerificationCheckData } from "../verification/types";
// The id clients know the parent by, so an entry's reader can look it up with node(id:).
import { toGlobalId } from "../graphql/global-id";

export { isUnder };

/** Every name strictly above `name`, nearest first: the names whose SUBTREE claims could cover it. */
export function ancestorNames(name: string): string[] {
  const labels = name.split(".");
  return labels.slice(1).map((_, i) => labels.slice(i + 1).join("."));
}

/** The nearest of `claims` that covers `name` now: a VERIFIED SUBTREE claim of a name above it. */
export function coveringClaim<T extends Pick<Domain, "name" | "scope" | "status" | "tokenExpiresAt">>(name: string, claims: readonly T[], now: Date): T | null {
  const covering = claims.filter((c) => c.scope === DomainScope.SUBTREE && isUnder(name, c.name) && effectiveStatus(c, now) === DomainStatus.VERIFIED);
  return covering.sort((a, b) => b.name.length - a.name.length)[0] ?? null;
}

/** The check an inherited verification records: no DNS was asked, so no servers and no values. */
export function inheritedCheck(
  child: { name: string },
  parent: { id: string; name: string; lastCheck?: Pick<VerificationCheckData, "dnssec"> | null },
  now: Date,
  note?: string,
): VerificationCheckData {
  return {
    outcome: "VERIFIED",
    method: "INHERITED",
    checkedAt: now,
    message: `Verified through ${parent.name} (domain ${toGlobalId("Domain", parent.id)}), a VERIFIED SUBTREE domain of this account that covers ${child.name}.${note ? ` ${note}` : ""}`,
    foundValues: [],
    hints: [],
    servers: [],
    // No DNS was asked: what DNSSEC said of the parent's check is what the name rests on.
    dnssec: parent.lastCheck?.dnssec ?? "UNVALIDATED",
  };
}

/** What inheriting sets on the child, and its VERIFICATION_SUCCEEDED entry naming the parent. */
export function planInheritance(
  child: Domain,
  parent: Pick<Domain, "id" | "name" | "lastCheck">,
  now: Date,
  actor: Actor,
  requestId: string | null,
): { changes: Partial<Domain>; entry: AuditRecord } {
  const previousStatus = effectiveStatus(child, now);
  const check = inheritedCheck(child, parent, now);
  return {
    changes: {
      status: DomainStatus.VERIFIED,
      verifiedName: child.name,
      verifiedAt: previousStatus === DomainStatus.VERIFIED ? child.verifiedAt : now,
      inheritedFromId: parent.id,
      failingSince: null,
      // The parent's re-checks cover the child; it is never checked on its own while inherited.
      nextCheckAt: null,
      lastCheck: check,
      lastCheckedAt: now,
      updatedAt: now,
    },
    entry: {
      accountId: child.accountId,
      domain: child,
      action: AuditAction.VERIFICATION_SUCCEEDED,
      actor,
      message: check.message,
      previousStatus,
      newStatus: DomainStatus.VERIFIED,
      check,
      requestId,
    },
  };
}

/** Why the parent stopped covering its children, as their entries say it. */
export type ParentLoss = "removed" | "revoked" | "expired" | "transferred";

/**
 * What losing its parent does to an inherited child: REVOKED like the parent, with a fresh token
 * window so the account can prove the name by a record of its own, and its DOMAIN_REVOKED entry.
 */
export function planOrphaning(
  child: Domain,
  parent: Pick<Domain, "id" | "name">,
  loss: ParentLoss,
  now: Date,
  tokenTtlMs: number,
  requestId: string | null,
): { changes: Partial<Domain>; entry: AuditRecord } {
  return {
    changes: {
      status: DomainStatus.REVOKED,
      verifiedName: null,
      inheritedFromId: null,
      failingSince: null,
      nextCheckAt: null,
      ...tokenWindow(now, tokenTtlMs),
      updatedAt: now,
    },
    entry: {
      accountId: child.accountId,
      domain: child,
      action: AuditAction.DOMAIN_REVOKED,
      actor: SYSTEM_ACTOR,
      message: `${child.name} was verified through ${parent.name} (domain ${toGlobalId("Domain", parent.id)}), which was ${loss}, so its verification was revoked; publish its own record to verify it again.`,
      previousStatus: DomainStatus.VERIFIED,
      newStatus: DomainStatus.REVOKED,
      requestId,
      reason: AuditReason.SUBTREE_PARENT_LOST,
    },
  };
}

/** The sentence a SUBTREE parent's check adds about names other accounts hold under it: how many, never whose. */
export function carvedOutNote(count: number): string | null {
  if (count === 0) return null;
  return `${count} ${count === 1 ? "name" : "names"} under it ${count === 1 ? "is" : "are"} verified by another account and not covered by this domain.`;
}
