import { Brackets, EntityManager, In, SelectQueryBuilder } from "typeorm";
import { v7 as uuidv7 } from "uuid";
import { Domain } from "./domain.entity";
import { Account } from "./account.entity";
import { DomainStatus, UNPROVEN_STATUSES, effectiveStatus } from "../shared/domain-status";
import { normalizeDomainName } from "./domain-name";
import { generateToken } from "./token";
import { CheckSchedule, graceEnd, nextUnprovenCheck, stateAfterCheck, statusAfterRegeneration } from "./lifecycle";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import { isDuplicateKeyError } from "../db/database";
import { paginate } from "../db/pagination";
import type { AuditLog } from "../audit/audit-log";
import { Actor, AuditAction, AuditReason, SYSTEM_ACTOR } from "../audit/audit.types";
import type { DomainVerifier, VerificationCheckData } from "../verification/types";
import { valuesCarryToken, verificationHost } from "../verification/records";
import { ActionContext, Principal, inScope } from "../shared/principal";

export type { ActionContext };
import { actorOf } from "../audit/actor";
import { UserError, UserErrorCode, notFound, userError } from "../shared/errors";
import { Connection, PageArgs } from "../shared/pagination";
import { forbidden } from "../shared/errors";

export interface DomainSettings {
  maxPerAccount: number;
  tokenTtlMs: number;
  cnameZone: string;
  schedule: CheckSchedule;
  /** How long before an unverified claim's token runs out TOKEN_EXPIRING_SOON is written. */
  tokenExpiryWarningMs: number;
  /** Sees every check as recorded (metrics). */
  onCheckRecorded?: (check: VerificationCheckData) => void;
}

export type ClaimResult = { ok: true; domain: Domain; created: boolean } | { ok: false; error: UserError };
export type VerifyResult = { ok: true; domain: Domain; check: VerificationCheckData } | { ok: false; error: UserError };
export type DomainResult = { ok: true; domain: Domain } | { ok: false; error: UserError };

/** Options of scheduled and admin runs, which hold the claims they check under a lease. */
export interface LeasedCheck {
  /** The lease the run took; a claim whose lease was lost or whose token changed meanwhile is left alone. */
  lease: string;
}

export interface DomainListFilter {
  accountId?: string | null;
  /** Substring of the ASCII name (admin search). */
  nameContains?: string | null;
  status?: DomainStatus | null;
}

/**
 * Owns the lifecycle of a claim: every rule about claiming, verifying, regenerating
 * and removing lives here, and every change commits together with its audit entry.
 */
export class DomainService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly verifier: DomainVerifier,
    private readonly clock: Clock,
    private readonly settings: DomainSettings,
  ) {}

  async claim(ctx: ActionContext, rawName: string): Promise<ClaimResult> {
    if (ctx.principal.scopedDomainId) throw forbidden("This API key is scoped to one domain; claiming others needs the account's own credentials.");
    const normalized = normalizeDomainName(rawName);
    if (!normalized.ok) {
      return { ok: false, error: userError(UserErrorCode[normalized.code], normalized.message, ["input", "name"]) };
    }
    const { accountId } = ctx.principal;
    const { name } = normalized;
    await this.ensureAccount(accountId);
    return this.db.transaction(async (manager) => {
      const now = this.clock.now();
      await this.db.forUpdate(manager.createQueryBuilder(Account, "account").where({ id: accountId })).getOne();

      const existing = await manager.findOneBy(Domain, { accountId, name });
      if (existing) return { ok: true, domain: existing, created: false };

      const held = await manager.countBy(Domain, { accountId });
      if (held >= this.settings.maxPerAccount) {
        return {
          ok: false,
          error: userError(
            UserErrorCode.DOMAIN_LIMIT_REACHED,
            `Your account holds ${held} of ${this.settings.maxPerAccount} domains; remove one before claiming another.`,
            ["input", "name"],
          ),
        };
      }
      const tokenExpiresAt = new Date(now.getTime() + this.settings.tokenTtlMs);
      const domain = manager.create(Domain, {
        id: uuidv7(),
        accountId,
        name,
        status: DomainStatus.PENDING,
        token: generateToken(),
        previousTokens: [],
        tokenExpiresAt,
        verifiedName: null,
        verifiedAt: null,
        lastCheckedAt: null,
        lastCheck: null,
        failingSince: null,
        nextCheckAt: nextUnprovenCheck(now, tokenExpiresAt, now, this.settings.schedule),
        leaseOwner: null,
        leaseExpiresAt: null,
        tokenExpiryWarnedAt: null,
        createdAt: now,
        updatedAt: now,
      });
      await manager.insert(Domain, domain);
      await this.audit.record(manager, {
        accountId,
        domain,
        action: AuditAction.DOMAIN_CLAIMED,
        actor: actorOf(ctx.principal),
        message: `Claimed ${name}; publish the TXT record at ${verificationHost(name)} to verify it.`,
        newStatus: DomainStatus.PENDING,
        requestId: ctx.requestId,
      });
      return { ok: true, domain, created: true };
    });
  }

  /** Looks the record up now and applies what was found. */
  async verify(ctx: ActionContext, domainId: string): Promise<VerifyResult> {
    const domain = await this.findOwned(ctx.principal, domainId);
    if (!domain) return { ok: false, error: notFound() };
    if (this.tokenHasLapsed(domain)) return this.refuseExpiredToken(ctx, domain);

    for (let claim: Domain | null = domain, attempt = 1; claim; attempt++) {
      const check = await this.verifier.verify({ name: claim.name, token: claim.token, previousTokens: claim.previousTokens });
      const applied = await this.applyCheck(claim, check, actorOf(ctx.principal), ctx.requestId);
      if (applied) return { ok: true, ...applied };
      // Removed, or given a new token while DNS was asked: the check answered an old question; ask once more.
      claim = attempt < 2 ? await this.findOwned(ctx.principal, domainId) : null;
      if (claim && this.tokenHasLapsed(claim)) return this.refuseExpiredToken(ctx, claim);
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
  ): Promise<{ domain: Domain; check: VerificationCheckData } | null> {
    const attempt = () =>
      this.db.transaction(async (manager) => {
        const now = this.clock.now();
        const claims = await this.db
          .forUpdate(manager.createQueryBuilder(Domain, "d").where("d.name = :name", { name: claim.name }).orderBy("d.id"))
          .getMany();
        const domain = claims.find((d) => d.id === claim.id);
        if (!domain) return null;
        if (leased) {
          if (domain.leaseOwner !== leased.lease) return null;
          // A new token, or one that ran out during the lookup: the check answers a question nobody asks any more.
          if (domain.token !== claim.token || effectiveStatus(domain, now) === DomainStatus.EXPIRED) {
            await this.releaseLease(manager, domain);
            return null;
          }
          domain.leaseOwner = null;
          domain.leaseExpiresAt = null;
        } else if (domain.token !== claim.token) {
          return null;
        }

        let result = check;
        if (check.outcome === "VERIFIED") {
          const holder = claims.find((d) => d.id !== domain.id && d.status === DomainStatus.VERIFIED);
          if (holder && valuesCarryToken(check.foundValues, holder.token, this.settings.cnameZone)) {
            result = {
              ...check,
              outcome: "VERIFIED_BY_ANOTHER_ACCOUNT",
              message: `Your record for ${domain.name} was found, but another account holds it verified and its record is still published; ownership moves only when that record is gone.`,
            };
          } else if (holder) {
            await this.revokeForNewOwner(manager, holder, requestId, now);
          }
        }

        const previousStatus = effectiveStatus(domain, now);
        const failingSince = domain.failingSince;
        const next = stateAfterCheck(
          { status: previousStatus, failingSince, tokenIssuedAt: this.tokenIssuedAt(domain), tokenExpiresAt: domain.tokenExpiresAt },
          result.outcome,
          now,
          this.settings.schedule,
          Math.random,
          // Leased runs are the scheduler's and the admins' batches, never a person's own verifyDomain.
          leased ? "automatic" : "explicit",
        );
        const newStatus = next.status;
        domain.status = newStatus;
        domain.verifiedName = newStatus === DomainStatus.VERIFIED ? domain.name : null;
        if (newStatus === DomainStatus.VERIFIED && previousStatus !== DomainStatus.VERIFIED) domain.verifiedAt = now;
        domain.failingSince = next.failingSince;
        domain.nextCheckAt = next.nextCheckAt;
        domain.lastCheck = result;
        domain.lastCheckedAt = result.checkedAt;
        domain.updatedAt = now;
        await manager.save(domain);
        const graceEndsAt = this.graceEndsAt(domain);
        // The grace period starts with this check; its entry comes first, the check's own entry last, as the newest word on the claim.
        if (graceEndsAt && !failingSince) {
          await this.audit.record(manager, {
            accountId: domain.accountId,
            domain,
            action: AuditAction.GRACE_PERIOD_STARTED,
            actor,
            message: `The record for ${domain.name} was not found; it stays verified until ${graceEndsAt.toISOString()} and is revoked then unless the record is found again.`,
            previousStatus: DomainStatus.VERIFIED,
            newStatus: DomainStatus.VERIFIED,
            requestId,
            graceEndsAt,
          });
        }
        await this.audit.record(manager, {
          accountId: domain.accountId,
          domain,
          action: auditActionOf(result.outcome),
          actor,
          message: graceEndsAt
            ? `${result.message} ${domain.name} stays verified until ${graceEndsAt.toISOString()} unless the record is found again by then.`
            : result.message,
          previousStatus,
          newStatus,
          check: result,
          requestId,
          graceEndsAt,
        });
        if (next.revoked) {
          await this.audit.record(manager, {
            accountId: domain.accountId,
            domain,
            action: AuditAction.DOMAIN_REVOKED,
            actor,
            message: `The record for ${domain.name} has been missing since ${(failingSince ?? now).toISOString()}, longer than the grace period, so its verification was revoked.`,
            previousStatus: DomainStatus.VERIFIED,
            newStatus: DomainStatus.REVOKED,
            requestId,
            reason: AuditReason.GRACE_PERIOD_ENDED,
          });
        }
        return { domain, check: result };
      });
    let applied;
    try {
      applied = await attempt();
    } catch (error) {
      // A concurrent verification won the unique index: run again and see its holder.
      if (!isDuplicateKeyError(error, "UQ_domains_verified_name")) throw error;
      applied = await attempt();
    }
    if (applied) this.settings.onCheckRecorded?.(applied.check);
    return applied;
  }

  async regenerateToken(ctx: ActionContext, domainId: string): Promise<DomainResult> {
    return this.db.transaction(async (manager) => {
      const domain = await this.lockOwned(manager, ctx.principal, domainId);
      if (!domain) return { ok: false, error: notFound() };
      const now = this.clock.now();
      const previousStatus = effectiveStatus(domain, now);
      const newStatus = statusAfterRegeneration(previousStatus);
      domain.previousTokens = [domain.token, ...domain.previousTokens].slice(0, 5);
      domain.token = generateToken();
      domain.tokenExpiresAt = new Date(now.getTime() + this.settings.tokenTtlMs);
      domain.status = newStatus;
      domain.tokenExpiryWarnedAt = null;
      if (newStatus !== DomainStatus.VERIFIED) {
        domain.failingSince = null;
        domain.nextCheckAt = nextUnprovenCheck(now, domain.tokenExpiresAt, now, this.settings.schedule);
      }
      domain.updatedAt = now;
      await manager.save(domain);
      await this.audit.record(manager, {
        accountId: domain.accountId,
        domain,
        action: AuditAction.TOKEN_REGENERATED,
        actor: actorOf(ctx.principal),
        message:
          newStatus === DomainStatus.VERIFIED
            ? `Issued a new token for ${domain.name}; it stays verified, and its next re-check looks for the new record.`
            : `Issued a new token for ${domain.name}; publish the new record and verify again.`,
        previousStatus,
        newStatus,
        requestId: ctx.requestId,
      });
      return { ok: true, domain };
    });
  }

  async remove(ctx: ActionContext, domainId: string): Promise<{ ok: true; removedId: string } | { ok: false; error: UserError }> {
    return this.db.transaction(async (manager) => {
      const domain = await this.lockOwned(manager, ctx.principal, domainId);
      if (!domain) return { ok: false, error: notFound() };
      const previousStatus = effectiveStatus(domain, this.clock.now());
      await manager.delete(Domain, { id: domain.id });
      await this.audit.record(manager, {
        accountId: domain.accountId,
        domain,
        action: AuditAction.DOMAIN_REMOVED,
        actor: actorOf(ctx.principal),
        message: `Removed the claim of ${domain.name}.`,
        previousStatus,
        newStatus: null,
        requestId: ctx.requestId,
      });
      return { ok: true, removedId: domain.id };
    });
  }

  /**
   * Marks an unverified claim whose token ran out EXPIRED (scheduled sweeps and cleanup).
   * False when there was nothing to do: the claim is gone, was verified or given a new
   * token meanwhile, or its lease was lost.
   */
  async expire(claimId: string, actor: Actor, requestId: string | null, leased?: LeasedCheck): Promise<boolean> {
    return this.db.transaction(async (manager) => {
      const domain = await this.db.forUpdate(manager.createQueryBuilder(Domain, "d").where("d.id = :claimId", { claimId })).getOne();
      if (!domain || (leased && domain.leaseOwner !== leased.lease)) return false;
      const lapsed = UNPROVEN_STATUSES.includes(domain.status) && effectiveStatus(domain, this.clock.now()) === DomainStatus.EXPIRED;
      if (leased) {
        domain.leaseOwner = null;
        domain.leaseExpiresAt = null;
      }
      if (lapsed) await this.markExpired(manager, domain, actor, requestId);
      if (lapsed || leased) await manager.save(domain);
      return lapsed;
    });
  }

  /** Releases a leased claim the scheduler has no business with (expired, revoked) and stops it falling due again. */
  async unschedule(claimId: string, leased: LeasedCheck): Promise<void> {
    await this.db.manager.update(
      Domain,
      { id: claimId, leaseOwner: leased.lease, status: In([DomainStatus.EXPIRED, DomainStatus.REVOKED]) },
      { leaseOwner: null, leaseExpiresAt: null, nextCheckAt: null },
    );
  }

  /**
   * Deletes an EXPIRED or REVOKED claim that has stayed so since before `cutoff` (cleanup);
   * its audit entries are kept. False when the claim changed meanwhile.
   */
  async deleteStale(claimId: string, cutoff: Date, actor: Actor, requestId: string | null): Promise<boolean> {
    return this.db.transaction(async (manager) => {
      const domain = await this.db.forUpdate(manager.createQueryBuilder(Domain, "d").where("d.id = :claimId", { claimId })).getOne();
      if (!domain || !isStale(domain, cutoff)) return false;
      await manager.delete(Domain, { id: domain.id });
      await this.audit.record(manager, {
        accountId: domain.accountId,
        domain,
        action: AuditAction.DOMAIN_REMOVED,
        actor,
        message: `Deleted the ${domain.status === DomainStatus.REVOKED ? "revoked" : "expired"} claim of ${domain.name} during cleanup.`,
        previousStatus: domain.status,
        newStatus: null,
        requestId,
      });
      return true;
    });
  }

  /**
   * Writes TOKEN_EXPIRING_SOON for unverified claims whose token runs out within
   * tokenExpiryWarningMs and that have not been warned about this token (the scheduler's
   * sweep). Rows another instance is warning about at this moment are skipped, and the
   * warned mark is written with the entry, so each token is warned about once. Returns how many.
   */
  async warnExpiringTokens(limit: number): Promise<number> {
    return this.db.transaction(async (manager) => {
      const now = this.clock.now();
      const qb = manager
        .createQueryBuilder(Domain, "d")
        .where("d.status IN (:...unproven)", { unproven: [...UNPROVEN_STATUSES] })
        .andWhere("d.tokenExpiresAt > :now AND d.tokenExpiresAt <= :horizon", {
          now,
          horizon: new Date(now.getTime() + this.settings.tokenExpiryWarningMs),
        })
        .andWhere("d.tokenExpiryWarnedAt IS NULL")
        .orderBy("d.tokenExpiresAt", "ASC")
        .addOrderBy("d.id", "ASC")
        .limit(limit);
      if (this.db.kind === "mysql") qb.setLock("pessimistic_write").setOnLocked("skip_locked");
      const claims = await qb.getMany();
      for (const domain of claims) {
        await manager.update(Domain, { id: domain.id }, { tokenExpiryWarnedAt: now });
        await this.audit.record(manager, {
          accountId: domain.accountId,
          domain,
          action: AuditAction.TOKEN_EXPIRING_SOON,
          actor: SYSTEM_ACTOR,
          message: `The token for ${domain.name} runs out at ${domain.tokenExpiresAt.toISOString()}; publish the record and verify before then, or regenerate the token.`,
          previousStatus: domain.status,
          newStatus: domain.status,
        });
      }
      return claims.length;
    }, "READ COMMITTED");
  }

  /** When a failing verified claim will be revoked if its record stays missing; null otherwise. */
  graceEndsAt(domain: Domain): Date | null {
    return domain.status === DomainStatus.VERIFIED ? graceEnd(domain.failingSince, this.settings.schedule) : null;
  }

  /** When the service will next look at the claim by itself; null when it never will (expired, revoked). */
  nextCheckAt(domain: Domain): Date | null {
    const status = effectiveStatus(domain, this.clock.now());
    return status === DomainStatus.EXPIRED || status === DomainStatus.REVOKED ? null : domain.nextCheckAt;
  }

  /** The caller's domain, or null for a missing id and for another account's id alike. */
  async findOwned(principal: Principal, domainId: string): Promise<Domain | null> {
    if (!inScope(principal, domainId)) return null;
    return this.db.manager.findOneBy(Domain, { id: domainId, accountId: principal.accountId });
  }

  async findByIds(ids: readonly string[]): Promise<Domain[]> {
    return ids.length ? this.db.manager.createQueryBuilder(Domain, "d").whereInIds([...ids]).getMany() : [];
  }

  async list(principal: Principal, page: PageArgs, status: DomainStatus | null): Promise<Connection<Domain>> {
    return this.page(page, { accountId: principal.accountId, status }, principal.scopedDomainId ?? null);
  }

  async listAll(page: PageArgs, filter: DomainListFilter): Promise<Connection<Domain>> {
    return this.page(page, filter, null);
  }

  async countForAccount(principal: Principal): Promise<number> {
    if (principal.scopedDomainId) return (await this.findOwned(principal, principal.scopedDomainId)) ? 1 : 0;
    return this.db.manager.countBy(Domain, { accountId: principal.accountId });
  }

  get limitPerAccount(): number {
    return this.settings.maxPerAccount;
  }

  private async page(page: PageArgs, filter: DomainListFilter, onlyId: string | null): Promise<Connection<Domain>> {
    const query = () => {
      const qb = this.db.manager.createQueryBuilder(Domain, "d");
      if (filter.accountId) qb.andWhere("d.accountId = :accountId", { accountId: filter.accountId });
      if (onlyId) qb.andWhere("d.id = :onlyId", { onlyId });
      if (filter.nameContains) {
        qb.andWhere("d.name LIKE :pattern ESCAPE '!'", { pattern: `%${filter.nameContains.toLowerCase().replace(/[!%_]/g, "!$&")}%` });
      }
      if (filter.status) this.whereEffectiveStatus(qb, filter.status);
      return qb;
    };
    return paginate(query, "d", page);
  }

  /** Filters by the status readers see, so a lapsed PENDING claim is listed under EXPIRED before any sweep. */
  private whereEffectiveStatus(qb: SelectQueryBuilder<Domain>, status: DomainStatus): void {
    const now = this.clock.now();
    const unproven = [...UNPROVEN_STATUSES];
    if (status === DomainStatus.EXPIRED) {
      qb.andWhere(
        new Brackets((w) =>
          w
            .where("d.status = :expired", { expired: DomainStatus.EXPIRED })
            .orWhere("(d.status IN (:...unproven) AND d.tokenExpiresAt <= :now)", { unproven, now }),
        ),
      );
    } else if (unproven.includes(status)) {
      qb.andWhere("d.status = :status AND d.tokenExpiresAt > :now", { status, now });
    } else {
      qb.andWhere("d.status = :status", { status });
    }
  }

  /**
   * The account row is the lock that serializes one account's claims, so the limit holds
   * under concurrency. It is created beforehand, in a transaction of its own: inside the
   * claim's, INSERT IGNORE on an existing row (a shared lock) or a locking read of a missing
   * row (a gap lock) makes concurrent claims of one account deadlock on MySQL.
   */
  private async ensureAccount(accountId: string): Promise<void> {
    if (await this.db.manager.existsBy(Account, { id: accountId })) return;
    await this.db.transaction((manager) =>
      manager.createQueryBuilder().insert().into(Account).values({ id: accountId, createdAt: this.clock.now() }).orIgnore().execute(),
    );
  }

  private async lockOwned(manager: EntityManager, principal: Principal, domainId: string): Promise<Domain | null> {
    if (!inScope(principal, domainId)) return null;
    return this.db
      .forUpdate(
        manager.createQueryBuilder(Domain, "d").where("d.id = :domainId AND d.accountId = :accountId", {
          domainId,
          accountId: principal.accountId,
        }),
      )
      .getOne();
  }

  /** A claim that was never proven, or lost its proof, whose token ran out: only a new token helps. */
  private tokenHasLapsed(domain: Domain): boolean {
    return domain.status !== DomainStatus.VERIFIED && domain.tokenExpiresAt.getTime() <= this.clock.now().getTime();
  }

  private async refuseExpiredToken(ctx: ActionContext, claim: Domain): Promise<VerifyResult> {
    const result = await this.db.transaction(async (manager) => {
      const domain = await this.lockOwned(manager, ctx.principal, claim.id);
      if (!domain) return null;
      const now = this.clock.now();
      const check: VerificationCheckData = {
        outcome: "TOKEN_EXPIRED",
        method: null,
        checkedAt: now,
        message: `The token for ${domain.name} expired at ${domain.tokenExpiresAt.toISOString()}; regenerate the token, publish the new record and verify again.`,
        foundValues: [],
        hints: [],
        servers: [],
      };
      if (UNPROVEN_STATUSES.includes(domain.status)) await this.markExpired(manager, domain, SYSTEM_ACTOR, ctx.requestId);
      domain.lastCheck = check;
      domain.lastCheckedAt = now;
      domain.updatedAt = now;
      await manager.save(domain);
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
    await this.audit.record(manager, {
      accountId: domain.accountId,
      domain,
      action: AuditAction.DOMAIN_EXPIRED,
      actor,
      message: `The token for ${domain.name} expired before the record was found.`,
      previousStatus: storedStatus,
      newStatus: DomainStatus.EXPIRED,
      requestId,
    });
  }

  private async releaseLease(manager: EntityManager, domain: Domain): Promise<void> {
    domain.leaseOwner = null;
    domain.leaseExpiresAt = null;
    await manager.update(Domain, { id: domain.id }, { leaseOwner: null, leaseExpiresAt: null });
  }

  /** Tokens live TOKEN_TTL_DAYS; the backoff ladder is anchored at their issue. */
  private tokenIssuedAt(domain: Domain): Date {
    return new Date(domain.tokenExpiresAt.getTime() - this.settings.tokenTtlMs);
  }

  private async revokeForNewOwner(manager: EntityManager, holder: Domain, requestId: string | null, now: Date): Promise<void> {
    holder.status = DomainStatus.REVOKED;
    holder.verifiedName = null;
    holder.failingSince = null;
    holder.nextCheckAt = null;
    // A fresh window, so the former owner can prove control again by republishing its record.
    holder.tokenExpiresAt = new Date(now.getTime() + this.settings.tokenTtlMs);
    holder.updatedAt = now;
    await manager.save(holder);
    await this.audit.record(manager, {
      accountId: holder.accountId,
      domain: holder,
      action: AuditAction.DOMAIN_REVOKED,
      // The other account stays anonymous to this one: the service revoked, on DNS evidence.
      actor: SYSTEM_ACTOR,
      message: `Another account proved control of ${holder.name} while your record was no longer published, so your verification was revoked.`,
      previousStatus: DomainStatus.VERIFIED,
      newStatus: DomainStatus.REVOKED,
      requestId,
      reason: AuditReason.PROVEN_BY_ANOTHER_ACCOUNT,
    });
  }
}

/**
 * Old enough for cleanup: EXPIRED since its token ran out, REVOKED since it was last
 * touched, both before `cutoff`. Cleanup expires lapsed claims first, so those count too.
 */
export function isStale(domain: Pick<Domain, "status" | "tokenExpiresAt" | "updatedAt">, cutoff: Date): boolean {
  if (domain.status === DomainStatus.EXPIRED) return domain.tokenExpiresAt.getTime() <= cutoff.getTime();
  if (domain.status === DomainStatus.REVOKED) return domain.updatedAt.getTime() <= cutoff.getTime();
  return false;
}

/** A check that concluded nothing is not a failure: operators tell a broken resolver from a missing record by this. */
function auditActionOf(outcome: VerificationCheckData["outcome"]): AuditAction {
  if (outcome === "VERIFIED") return AuditAction.VERIFICATION_SUCCEEDED;
  if (outcome === "DNS_ERROR") return AuditAction.VERIFICATION_INCONCLUSIVE;
  return AuditAction.VERIFICATION_FAILED;
}
