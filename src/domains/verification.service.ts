import type { EntityManager } from "typeorm";
import type { Domain } from "./domain.entity";
import { DomainStatus } from "../shared/domain-status";
import { UNPROVEN_STATUSES, effectiveStatus, tokenHasLapsed, tokenRanOut } from "./status-rules";
import type { CheckSchedule } from "./lifecycle";
import { WRITTEN_BY_A_CHECK, planCheck } from "./check-plan";
import { tokenWindow } from "./token";
import * as messages from "./messages";
import type { DomainStore, Transactions } from "./domain.store";
import type { Clock } from "../shared/clock";
import type { AuditRecord } from "../audit/audit-log";
import { Actor, AuditAction, AuditReason, SYSTEM_ACTOR } from "../audit/audit.types";
import { actorOf } from "../audit/actor";
import type { DomainVerifier, VerificationCheckData } from "../verification/types";
import type { ActionContext } from "../shared/principal";
import { UserError, notFound } from "../shared/errors";
import { InheritanceService } from "./inheritance.service";
import { inheritedCheck } from "./inheritance";
import { verificationRequestOf } from "./domain-records";

export interface VerificationSettings {
  /** A holder revoked for a new owner gets a fresh token window this long. */
  tokenTtlMs: number;
  cnameZone: string;
  schedule: CheckSchedule;
  /** How long before an unverified claim's token runs out TOKEN_EXPIRING_SOON is written. */
  tokenExpiryWarningMs: number;
  /** Sees every check as recorded (metrics). */
  onCheckRecorded?: (check: VerificationCheckData) => void;
}

/** Writes audit entries in the caller's transaction (AuditLog, or a fake in unit tests). */
export interface AuditRecorder {
  record(manager: EntityManager, record: AuditRecord): Promise<unknown>;
  /** The records as entries in their order, written together (a batch's entries). */
  recordMany(manager: EntityManager, records: readonly AuditRecord[]): Promise<unknown>;
}

export type VerifyResult = { ok: true; domain: Domain; check: VerificationCheckData } | { ok: false; error: UserError };

/** A check as recorded, with the claim as it now stands. */
export interface AppliedCheck {
  domain: Domain;
  check: VerificationCheckData;
}

/** Options of scheduled and admin runs, which hold the claims they check under a lease. */
export interface LeasedCheck {
  /** The lease the run took; a claim whose lease was lost or whose token changed meanwhile is left alone. */
  lease: string;
}

/** A leased claim and what DNS answered for it, waiting to be recorded. */
export interface LeasedCheckResult {
  claim: Domain;
  check: VerificationCheckData;
  leased: LeasedCheck;
}

/**
 * Owns what DNS evidence and time do to a claim: checks and their grace periods, ownership
 * moving between accounts, tokens running out. Every change commits with its audit entry.
 */
export class VerificationService {
  constructor(
    private readonly store: DomainStore,
    private readonly transactions: Transactions,
    private readonly audit: AuditRecorder,
    private readonly verifier: DomainVerifier,
    private readonly clock: Clock,
    private readonly settings: VerificationSettings,
    private readonly inheritance: InheritanceService = new InheritanceService(store, settings.tokenTtlMs),
  ) {}

  /** Looks the record up now and applies what was found. */
  async verify(ctx: ActionContext, domainId: string): Promise<VerifyResult> {
    const domain = await this.store.findVisible(ctx.principal, domainId);
    if (!domain) return { ok: false, error: notFound() };
    const inherited = await this.inheritIfCovered(ctx, domain);
    if (inherited) return inherited;
    if (tokenRanOut(domain, this.clock.now())) return this.refuseExpiredToken(ctx, domain);

    for (let claim: Domain | null = domain, attempt = 1; claim; attempt++) {
      const recheck = effectiveStatus(claim, this.clock.now()) === DomainStatus.VERIFIED;
      const check = await this.verifier.verify({ ...verificationRequestOf(claim), recheck });
      const applied = await this.applyCheck(claim, check, actorOf(ctx.principal), ctx.requestId);
      if (applied) return { ok: true, ...applied };
      // Removed, or given a new token while DNS was asked: the check answered an old question; ask once more.
      claim = attempt < 2 ? await this.store.findVisible(ctx.principal, domainId) : null;
      if (claim && tokenRanOut(claim, this.clock.now())) return this.refuseExpiredToken(ctx, claim);
    }
    return { ok: false, error: notFound() };
  }

  /**
   * Records a check's result, the grace-period decision and when to check next. Runs
   * under a lock on every claim of the name, so two accounts verifying one name at once
   * are decided one after the other, and the unique index on verifiedName backs the
   * rule up in the database itself. Returns null when the check no longer applies: the
   * claim was removed or got a new token while DNS was being asked, or a lease was lost.
   */
  async applyCheck(
    claim: Domain,
    check: VerificationCheckData,
    actor: Actor,
    requestId: string | null,
    leased?: LeasedCheck,
  ): Promise<AppliedCheck | null> {
    const attempt = () =>
      this.transactions.transaction(async (manager) => {
        const claims = await this.store.lockClaimsOfName(manager, claim.name);
        const entries: AuditRecord[] = [];
        const inHand = new Map(claims.map((d) => [d.id, d]));
        const applied = await this.applyLocked(manager, claims, { claim, check, leased, inHand }, actor, requestId, this.clock.now(), entries);
        await this.audit.recordMany(manager, entries);
        if (applied) await this.store.updateAll(manager, [applied.domain], WRITTEN_BY_A_CHECK);
        return applied;
      });
    let applied;
    try {
      applied = await attempt();
    } catch (error) {
      // A concurrent verification won the unique index: run again and see its holder.
      if (!this.store.isVerifiedNameConflict(error)) throw error;
      applied = await attempt();
    }
    if (applied) this.settings.onCheckRecorded?.(applied.check);
    return applied;
  }

  /**
   * Records many leased checks (a scheduled or admin run's) in one transaction: one statement
   * locks every claim of their names, then each check is decided and written as applyCheck
   * would, each claim's row with its own audit entries, so the transaction holds every change
   * with its entries. Answers in the order given, null where applyCheck would. When the unique
   * index on verifiedName turns the group down (a concurrent verification of one of the names),
   * each check is applied on its own instead, as applyCheck retries.
   */
  async applyLeasedChecks(checks: readonly LeasedCheckResult[], actor: Actor, requestId: string | null): Promise<(AppliedCheck | null)[]> {
    if (checks.length === 0) return [];
    let applied: (AppliedCheck | null)[];
    try {
      applied = await this.transactions.transaction(async (manager) => {
        const ofName = new Map<string, Domain[]>(checks.map((c) => [c.claim.name, []]));
        // Every row the group holds, so a parent's children among them are changed in hand, not overwritten by the group's write.
        const inHand = new Map<string, Domain>();
        for (const locked of await this.store.lockClaimsOfNames(manager, [...ofName.keys()])) {
          ofName.get(locked.name)?.push(locked);
          inHand.set(locked.id, locked);
        }
        const now = this.clock.now();
        const results: (AppliedCheck | null)[] = [];
        const entries: AuditRecord[] = [];
        for (const item of checks) results.push(await this.applyLocked(manager, ofName.get(item.claim.name)!, { ...item, inHand }, actor, requestId, now, entries));
        // The group's entries in the order its checks were decided: written together, the listeners run once for all of them.
        await this.audit.recordMany(manager, entries);
        await this.store.updateAll(manager, results.flatMap((result) => (result ? [result.domain] : [])), WRITTEN_BY_A_CHECK);
        return results;
      });
    } catch (error) {
      if (!this.store.isVerifiedNameConflict(error)) throw error;
      const one = [];
      for (const item of checks) one.push(await this.applyCheck(item.claim, item.check, actor, requestId, item.leased));
      return one;
    }
    for (const result of applied) if (result) this.settings.onCheckRecorded?.(result.check);
    return applied;
  }

  /**
   * One check over the locked claims of its name, in `manager`'s transaction: its audit entries
   * are added to `entries` in order and the claim's row is left to the caller (recordMany and
   * updateAll, once for a whole group); null when the check no longer applies.
   */
  private async applyLocked(
    manager: EntityManager,
    claims: Domain[],
    { claim, check, leased, inHand }: { claim: Domain; check: VerificationCheckData; leased?: LeasedCheck; inHand: ReadonlyMap<string, Domain> },
    actor: Actor,
    requestId: string | null,
    now: Date,
    entries: AuditRecord[],
  ): Promise<AppliedCheck | null> {
    const domain = claims.find((d) => d.id === claim.id);
    if (!domain || !(await this.stillAsked(manager, domain, claim, now, leased))) return null;
    const covered = await this.stillInherited(manager, domain, check, { now, actor, requestId, inHand }, entries);
    if (covered) return covered;
    const plan = planCheck({ domain, claims, check, now, settings: this.settings, mode: leased ? "automatic" : "explicit", actor, requestId });
    if (plan.revokeHolder) {
      entries.push(await this.revokeForNewOwner(manager, plan.revokeHolder, requestId, now));
      await this.inheritance.orphanChildren(manager, plan.revokeHolder, "transferred", now, requestId, entries, inHand);
    }
    const wasVerified = effectiveStatus(domain, now) === DomainStatus.VERIFIED;
    Object.assign(domain, plan.changes);
    let result = plan.result;
    const childEntries: AuditRecord[] = [];
    if (domain.status === DomainStatus.VERIFIED && result.outcome === "VERIFIED") {
      // Verified by a record of its own: the claim no longer depends on a parent.
      domain.inheritedFromId = null;
      const carved = await this.inheritance.adoptUnder(manager, domain, now, actor, requestId, childEntries, inHand);
      if (carved) result = domain.lastCheck = { ...result, message: `${result.message} ${carved}` };
    }
    // The claim's own entries first, its children's after, each check entry carrying the check as recorded.
    entries.push(...plan.entries.map((entry) => (entry.check === plan.result ? { ...entry, check: result, message: entry.message === plan.result.message ? result.message : entry.message } : entry)));
    entries.push(...childEntries);
    if (wasVerified && domain.status !== DomainStatus.VERIFIED) await this.inheritance.orphanChildren(manager, domain, "revoked", now, requestId, entries, inHand);
    return { domain, check: result };
  }

  /**
   * An inherited claim whose own record was not found stays verified while its parent is: the
   * check is recorded as INHERITED, saying what its own lookup found, and nothing else changes.
   * Null when the claim does not depend on a VERIFIED parent, or its own record verified it.
   */
  private async stillInherited(
    manager: EntityManager,
    domain: Domain,
    check: VerificationCheckData,
    { now, actor, requestId, inHand }: { now: Date; actor: Actor; requestId: string | null; inHand: ReadonlyMap<string, Domain> },
    entries: AuditRecord[],
  ): Promise<AppliedCheck | null> {
    if (!domain.inheritedFromId || check.outcome === "VERIFIED") return null;
    // A parent the caller holds may have changed in this transaction and not been written yet.
    const parent = inHand.get(domain.inheritedFromId) ?? (await this.store.lockById(manager, domain.inheritedFromId));
    if (!parent || effectiveStatus(parent, now) !== DomainStatus.VERIFIED) return null;
    const result = inheritedCheck(domain, parent, now, `Its own record was not found (${check.outcome}): ${check.message}`);
    Object.assign(domain, { lastCheck: result, lastCheckedAt: now, updatedAt: now, nextCheckAt: null, failingSince: null });
    entries.push({
      accountId: domain.accountId,
      domain,
      action: AuditAction.VERIFICATION_SUCCEEDED,
      actor,
      message: result.message,
      previousStatus: DomainStatus.VERIFIED,
      newStatus: DomainStatus.VERIFIED,
      check: result,
      requestId,
    });
    return { domain, check: result };
  }

  /**
   * A claim the account's VERIFIED SUBTREE domain covers is verified through it, without asking
   * DNS. Null when nothing covers it (or another account holds the name): DNS decides then.
   */
  private async inheritIfCovered(ctx: ActionContext, claim: Domain): Promise<VerifyResult | null> {
    if (effectiveStatus(claim, this.clock.now()) === DomainStatus.VERIFIED) return null;
    return this.transactions.transaction(async (manager) => {
      const now = this.clock.now();
      const domain = await this.store.lockVisible(manager, ctx.principal, claim.id);
      if (!domain) return null;
      const parent = await this.inheritance.coverOf(manager, domain, now);
      const entries: AuditRecord[] = [];
      if (!parent || !(await this.inheritance.inherit(manager, domain, parent, now, actorOf(ctx.principal), ctx.requestId, entries))) return null;
      await this.audit.recordMany(manager, entries);
      return { ok: true as const, domain, check: domain.lastCheck! };
    });
  }

  /**
   * Whether the check still answers the claim as locked now: a new token, or a lease another
   * run took over, means the check answered a question nobody asks any more. A leased claim
   * keeps its lease until here, and gives it up with this check (or now, when the token
   * changed or ran out meanwhile).
   */
  private async stillAsked(manager: EntityManager, domain: Domain, claim: Domain, now: Date, leased?: LeasedCheck): Promise<boolean> {
    if (!leased) return domain.token === claim.token;
    if (domain.leaseOwner !== leased.lease) return false;
    if (domain.token !== claim.token || effectiveStatus(domain, now) === DomainStatus.EXPIRED) {
      await this.releaseLease(manager, domain);
      return false;
    }
    domain.leaseOwner = null;
    domain.leaseExpiresAt = null;
    return true;
  }

  /**
   * Marks an unverified claim whose token ran out EXPIRED (the scheduler's leased claims).
   * False when there was nothing to do: the claim is gone, was verified or given a new
   * token meanwhile, or its lease was lost.
   */
  async expire(claimId: string, actor: Actor, requestId: string | null, leased?: LeasedCheck): Promise<boolean> {
    return (await this.expireBatch([claimId], actor, requestId, leased)).length > 0;
  }

  /**
   * expire for many claims in one transaction, each with its DOMAIN_EXPIRED entry (cleanup,
   * and any sweep over many claims). Returns the ids it expired; a claim that is gone, was
   * verified or given a new token meanwhile is left alone, and with `leased` so is one whose
   * lease was lost, while every claim the lease still holds gives it up, expired or not.
   * Locks as DomainService.deleteStale does: only these rows, in id order, without gap locks.
   */
  async expireBatch(claimIds: readonly string[], actor: Actor, requestId: string | null, leased?: LeasedCheck): Promise<string[]> {
    if (claimIds.length === 0) return [];
    return this.transactions.transaction(async (manager) => {
      const now = this.clock.now();
      const held = (await this.store.lockByIds(manager, claimIds)).filter((domain) => !leased || domain.leaseOwner === leased.lease);
      const lapsed = held.filter((domain) => tokenHasLapsed(domain, now));
      const ids = lapsed.map((domain) => domain.id);
      await this.store.writeExpired(manager, ids, now);
      if (leased) await this.store.releaseLeases(manager, held.map((domain) => domain.id));
      await this.audit.recordMany(manager, lapsed.map((domain) => expiredEntry(domain, domain.status, actor, requestId)));
      return ids;
    }, "READ COMMITTED");
  }

  /** Releases a leased claim the scheduler has no business with (expired, revoked) and stops it falling due again. */
  async unschedule(claimId: string, leased: LeasedCheck): Promise<void> {
    await this.store.unschedule(claimId, leased.lease);
  }

  /**
   * Writes TOKEN_EXPIRING_SOON for unverified claims whose token runs out within
   * tokenExpiryWarningMs and that have not been warned about this token (the scheduler's
   * sweep). Rows another instance is warning about at this moment are skipped, and the
   * warned mark is written with the entry, so each token is warned about once. Returns how many.
   */
  async warnExpiringTokens(limit: number): Promise<number> {
    return this.transactions.transaction(async (manager) => {
      const now = this.clock.now();
      const horizon = new Date(now.getTime() + this.settings.tokenExpiryWarningMs);
      const claims = await this.store.lockUnwarnedExpiring(manager, now, horizon, limit);
      for (const domain of claims) await this.store.markWarned(manager, domain.id, now);
      await this.audit.recordMany(
        manager,
        claims.map((domain) => ({
          accountId: domain.accountId,
          domain,
          action: AuditAction.TOKEN_EXPIRING_SOON,
          actor: SYSTEM_ACTOR,
          message: messages.tokenExpiringSoon(domain.name, domain.tokenExpiresAt),
          previousStatus: domain.status,
          newStatus: domain.status,
        })),
      );
      return claims.length;
    }, "READ COMMITTED");
  }

  private async refuseExpiredToken(ctx: ActionContext, claim: Domain): Promise<VerifyResult> {
    const result = await this.transactions.transaction(async (manager) => {
      const domain = await this.store.lockVisible(manager, ctx.principal, claim.id);
      if (!domain) return null;
      const now = this.clock.now();
      const check: VerificationCheckData = {
        outcome: "TOKEN_EXPIRED",
        method: null,
        checkedAt: now,
        message: messages.tokenExpiredBeforeVerify(domain.name, domain.tokenExpiresAt),
        foundValues: [],
        hints: [],
        servers: [],
        dnssec: "UNVALIDATED",
      };
      if (UNPROVEN_STATUSES.includes(domain.status)) await this.markExpired(manager, domain, SYSTEM_ACTOR, ctx.requestId);
      domain.lastCheck = check;
      domain.lastCheckedAt = now;
      domain.updatedAt = now;
      await this.store.save(manager, domain);
      await this.audit.record(manager, {
        accountId: domain.accountId,
        domain,
        action: AuditAction.VERIFICATION_FAILED,
        actor: actorOf(ctx.principal),
        message: check.message,
        previousStatus: domain.status,
        newStatus: domain.status,
        check,
        requestId: ctx.requestId,
      });
      return { domain, check };
    });
    return result ? { ok: true, ...result } : { ok: false, error: notFound() };
  }

  /** Writes EXPIRED and its audit entry; the caller saves the row. */
  private async markExpired(manager: EntityManager, domain: Domain, actor: Actor, requestId: string | null): Promise<void> {
    const storedStatus = domain.status;
    domain.status = DomainStatus.EXPIRED;
    domain.nextCheckAt = null;
    domain.updatedAt = this.clock.now();
    await this.audit.record(manager, expiredEntry(domain, storedStatus, actor, requestId));
  }

  private async releaseLease(manager: EntityManager, domain: Domain): Promise<void> {
    domain.leaseOwner = null;
    domain.leaseExpiresAt = null;
    await this.store.releaseLease(manager, domain.id);
  }

  /** Revokes the holder's claim (its row saved now) and answers its DOMAIN_REVOKED entry, which the caller records. */
  private async revokeForNewOwner(manager: EntityManager, holder: Domain, requestId: string | null, now: Date): Promise<AuditRecord> {
    holder.status = DomainStatus.REVOKED;
    holder.verifiedName = null;
    holder.failingSince = null;
    holder.nextCheckAt = null;
    // A fresh window, so the former owner can prove control again by republishing its record.
    Object.assign(holder, tokenWindow(now, this.settings.tokenTtlMs));
    holder.updatedAt = now;
    await this.store.save(manager, holder);
    return {
      accountId: holder.accountId,
      domain: holder,
      action: AuditAction.DOMAIN_REVOKED,
      // The other account stays anonymous to this one: the service revoked, on DNS evidence.
      actor: SYSTEM_ACTOR,
      message: messages.revokedForNewOwner(holder.name),
      previousStatus: DomainStatus.VERIFIED,
      newStatus: DomainStatus.REVOKED,
      requestId,
      reason: AuditReason.PROVEN_BY_ANOTHER_ACCOUNT,
    };
  }
}

/** DOMAIN_EXPIRED for `domain`, which was `storedStatus` until its token ran out. */
function expiredEntry(domain: Domain, storedStatus: DomainStatus, actor: Actor, requestId: string | null): AuditRecord {
  return {
    accountId: domain.accountId,
    domain,
    action: AuditAction.DOMAIN_EXPIRED,
    actor,
    message: messages.expired(domain.name),
    previousStatus: storedStatus,
    newStatus: DomainStatus.EXPIRED,
    requestId,
  };
}
