import type { Domain } from "./domain.entity";
import { DomainStatus } from "../shared/domain-status";
import { effectiveStatus } from "./status-rules";
import { CheckSchedule, graceEndOf, stateAfterCheck } from "./lifecycle";
import { decideOwnership } from "./ownership";
import * as messages from "./messages";
import type { AuditRecord } from "../audit/audit-log";
import { Actor, AuditAction, AuditReason } from "../audit/audit.types";
import type { VerificationCheckData } from "../verification/types";

/** What a check changes on its claim: the columns to set before the row is saved. */
export type ClaimChanges = Pick<Domain, "status" | "verifiedName" | "failingSince" | "nextCheckAt" | "lastCheck" | "lastCheckedAt" | "updatedAt"> &
  Partial<Pick<Domain, "verifiedAt">>;

/**
 * The columns applying a check writes into its claim's row: what ClaimChanges sets, the lease it
 * gives up, and what inheritance changes on claims the group holds (a claim verified by its own
 * record leaves its parent; a child losing its parent gets a fresh token window). The rest of the
 * row was read under the same lock and is written back as it was, so a group's UPDATE leaves it out.
 */
export const WRITTEN_BY_A_CHECK = [
  "status",
  "verifiedName",
  "verifiedAt",
  "failingSince",
  "nextCheckAt",
  "lastCheck",
  "lastCheckedAt",
  "updatedAt",
  "leaseOwner",
  "leaseExpiresAt",
  "inheritedFromId",
  "tokenIssuedAt",
  "tokenExpiresAt",
] as const satisfies readonly (keyof Domain)[];
// A column added to ClaimChanges and not to the list above would not be written: refused at compile time.
const everyChangeWritten: Exclude<keyof ClaimChanges, (typeof WRITTEN_BY_A_CHECK)[number]> extends never ? true : never = true;
void everyChangeWritten;

/** Everything applying one check writes, decided before anything is written. */
export interface CheckPlan {
  /** The check as recorded: VERIFIED_BY_ANOTHER_ACCOUNT when another account holds the name. */
  result: VerificationCheckData;
  /** Another account's claim that loses the name to this one (revoked first, with its own entries). */
  revokeHolder: Domain | null;
  changes: ClaimChanges;
  /** This claim's audit entries, in the order they are written: the newest word on the claim last. */
  entries: AuditRecord[];
}

export interface CheckInput {
  /** The claim, as locked now. */
  domain: Domain;
  /** Every claim of the name, locked, this one included. */
  claims: Domain[];
  check: VerificationCheckData;
  now: Date;
  settings: { cnameZone: string; schedule: CheckSchedule };
  /** Leased runs are the scheduler's and the admins' batches, never a person's own verifyDomain. */
  mode: "automatic" | "explicit";
  actor: Actor;
  requestId: string | null;
  random?: () => number;
}

/**
 * The rule of a check, pure: given the locked claims of the name, the evidence and the time,
 * the outcome to record, the claim's new state, and its audit entries in order. The service
 * writes the plan in one transaction; nothing here reads or writes the database.
 */
export function planCheck(input: CheckInput): CheckPlan {
  const { domain, check, now } = input;
  const ownership = decideOwnership(check, input.claims, domain.id, input.settings.cnameZone);
  const result = ownership.kind === "blockedByHolder" ? { ...check, outcome: "VERIFIED_BY_ANOTHER_ACCOUNT" as const, message: messages.heldByAnotherAccount(domain.name) } : check;
  const previousStatus = effectiveStatus(domain, now);
  const failingSince = domain.failingSince;
  const next = stateAfterCheck(
    { status: previousStatus, failingSince, tokenIssuedAt: domain.tokenIssuedAt, tokenExpiresAt: domain.tokenExpiresAt },
    result.outcome,
    now,
    input.settings.schedule,
    input.random ?? Math.random,
    input.mode,
  );
  const changes: ClaimChanges = {
    status: next.status,
    verifiedName: next.status === DomainStatus.VERIFIED ? domain.name : null,
    ...(next.status === DomainStatus.VERIFIED && previousStatus !== DomainStatus.VERIFIED ? { verifiedAt: now } : {}),
    failingSince: next.failingSince,
    nextCheckAt: next.nextCheckAt,
    lastCheck: result,
    lastCheckedAt: result.checkedAt,
    updatedAt: now,
  };
  const graceEndsAt = graceEndOf(changes, input.settings.schedule);
  const entries = checkEntries(input, { result, previousStatus, newStatus: next.status, graceEndsAt, graceStarts: Boolean(graceEndsAt && !failingSince) });
  if (next.revoked) entries.push(revokedEntry(input, failingSince ?? now));
  return { result, revokeHolder: ownership.kind === "revokeHolder" ? ownership.holder : null, changes, entries };
}

function checkEntries(
  input: CheckInput,
  decided: { result: VerificationCheckData; previousStatus: DomainStatus; newStatus: DomainStatus; graceEndsAt: Date | null; graceStarts: boolean },
): AuditRecord[] {
  const { domain, actor, requestId } = input;
  const { result, graceEndsAt } = decided;
  const entries: AuditRecord[] = [];
  // The grace period starts with this check; its entry comes first, the check's own entry last, as the newest word on the claim.
  if (graceEndsAt && decided.graceStarts) {
    entries.push({
      accountId: domain.accountId,
      domain,
      action: AuditAction.GRACE_PERIOD_STARTED,
      actor,
      message: messages.gracePeriodStarted(domain.name, graceEndsAt),
      previousStatus: DomainStatus.VERIFIED,
      newStatus: DomainStatus.VERIFIED,
      requestId,
      graceEndsAt,
    });
  }
  entries.push({
    accountId: domain.accountId,
    domain,
    action: auditActionOf(result.outcome),
    actor,
    message: graceEndsAt ? messages.checkDuringGracePeriod(result.message, domain.name, graceEndsAt) : result.message,
    previousStatus: decided.previousStatus,
    newStatus: decided.newStatus,
    check: result,
    requestId,
    graceEndsAt,
  });
  return entries;
}

function revokedEntry(input: CheckInput, failingSince: Date): AuditRecord {
  const { domain, actor, requestId } = input;
  return {
    accountId: domain.accountId,
    domain,
    action: AuditAction.DOMAIN_REVOKED,
    actor,
    message: messages.revokedAfterGracePeriod(domain.name, failingSince),
    previousStatus: DomainStatus.VERIFIED,
    newStatus: DomainStatus.REVOKED,
    requestId,
    reason: AuditReason.GRACE_PERIOD_ENDED,
  };
}

/**
 * A check that concluded nothing is not a failure: operators tell a broken resolver from a missing
 * record by this. Too few remote perspectives seeing the record proves nothing either way.
 */
function auditActionOf(outcome: VerificationCheckData["outcome"]): AuditAction {
  if (outcome === "VERIFIED") return AuditAction.VERIFICATION_SUCCEEDED;
  if (outcome === "DNS_ERROR" || outcome === "DNSSEC_BOGUS" || outcome === "NOT_CORROBORATED") return AuditAction.VERIFICATION_INCONCLUSIVE;
  return AuditAction.VERIFICATION_FAILED;
}
