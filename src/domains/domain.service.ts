import { Brackets, EntityManager, SelectQueryBuilder } from "typeorm";
import { v7 as uuidv7 } from "uuid";
import { Domain } from "./domain.entity";
import { Account } from "./account.entity";
import { DomainStatus, UNPROVEN_STATUSES, effectiveStatus } from "./domain-status";
import { normalizeDomainName } from "./domain-name";
import { generateToken } from "./token";
import { statusAfterCheck, statusAfterRegeneration } from "./lifecycle";
import type { Clock } from "../clock";
import type { Database } from "../db/database";
import { isDuplicateKeyError } from "../db/database";
import { afterCursor } from "../db/pagination";
import type { AuditLog } from "../audit/audit-log";
import { Actor, AuditAction, SYSTEM_ACTOR } from "../audit/audit.types";
import type { DomainVerifier, VerificationCheckData } from "../dns/types";
import { valuesCarryToken, verificationHost } from "../dns/records";
import { Principal, actorOf } from "../auth/principal";
import { UserError, UserErrorCode, notFound, userError } from "../graphql/user-error";
import { Connection, PageArgs, toConnection } from "../graphql/connection";
import { forbidden } from "../graphql/errors";

export interface DomainSettings {
  maxPerAccount: number;
  tokenTtlMs: number;
  cnameZone: string;
  /** Sees every check as recorded (metrics). */
  onCheckRecorded?: (check: VerificationCheckData) => void;
}

/** Who acts and on behalf of which request: what every audited change needs. */
export interface ActionContext {
  principal: Principal;
  requestId: string | null;
}

export type ClaimResult = { ok: true; domain: Domain; created: boolean } | { ok: false; error: UserError };
export type VerifyResult = { ok: true; domain: Domain; check: VerificationCheckData } | { ok: false; error: UserError };
export type DomainResult = { ok: true; domain: Domain } | { ok: false; error: UserError };

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
    // In a transaction of its own: INSERT IGNORE of an existing row holds a shared lock, and two
    // claims upgrading theirs to the lock below at once deadlock (MariaDB, a burst of first claims).
    await this.db.transaction((manager) =>
      manager.createQueryBuilder().insert().into(Account).values({ id: accountId, createdAt: this.clock.now() }).orIgnore().execute(),
    );
    return this.db.transaction(async (manager) => {
      const now = this.clock.now();
      // The account row is the lock that serializes this account's claims, so the limit holds under concurrency.
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
      const domain = manager.create(Domain, {
        id: uuidv7(),
        accountId,
        name,
        status: DomainStatus.PENDING,
        token: generateToken(),
        previousTokens: [],
        tokenExpiresAt: new Date(now.getTime() + this.settings.tokenTtlMs),
        verifiedName: null,
        verifiedAt: null,
        lastCheckedAt: null,
        lastCheck: null,
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

    const check = await this.verifier.verify({ name: domain.name, token: domain.token, previousTokens: domain.previousTokens });
    const applied = await this.applyCheck(domain, check, actorOf(ctx.principal), ctx.requestId);
    return applied ? { ok: true, ...applied } : { ok: false, error: notFound() };
  }

  /**
   * Records a check's result. Runs under a lock on every claim of the name, so two
   * accounts verifying one name at once are decided one after the other, and the
   * unique index on verifiedName backs the rule up in the database itself.
   * Returns null when the claim was removed while DNS was being asked.
   */
  async applyCheck(
    claim: Domain,
    check: VerificationCheckData,
    actor: Actor,
    requestId: string | null,
  ): Promise<{ domain: Domain; check: VerificationCheckData } | null> {
    const attempt = () =>
      this.db.transaction(async (manager) => {
        const now = this.clock.now();
        const claims = await this.db
          .forUpdate(manager.createQueryBuilder(Domain, "d").where("d.name = :name", { name: claim.name }).orderBy("d.id"))
          .getMany();
        const domain = claims.find((d) => d.id === claim.id);
        if (!domain) return null;

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
        const newStatus = statusAfterCheck(previousStatus, result.outcome);
        domain.status = newStatus;
        domain.verifiedName = newStatus === DomainStatus.VERIFIED ? domain.name : null;
        if (newStatus === DomainStatus.VERIFIED && previousStatus !== DomainStatus.VERIFIED) domain.verifiedAt = now;
        domain.lastCheck = result;
        domain.lastCheckedAt = result.checkedAt;
        domain.updatedAt = now;
        await manager.save(domain);
        await this.audit.record(manager, {
          accountId: domain.accountId,
          domain,
          action: result.outcome === "VERIFIED" ? AuditAction.VERIFICATION_SUCCEEDED : AuditAction.VERIFICATION_FAILED,
          actor,
          message: result.message,
          previousStatus,
          newStatus,
          check: result,
          requestId,
        });
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

  /** The caller's domain, or null for a missing id and for another account's id alike. */
  async findOwned(principal: Principal, domainId: string): Promise<Domain | null> {
    if (!this.inScope(principal, domainId)) return null;
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
    const rows = await afterCursor(query(), "d", page.after)
      .orderBy("d.createdAt", "DESC")
      .addOrderBy("d.id", "DESC")
      .take(page.first + 1)
      .getMany();
    return toConnection(rows, page, await query().getCount());
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

  private inScope(principal: Principal, domainId: string): boolean {
    return !principal.scopedDomainId || principal.scopedDomainId === domainId;
  }

  private async lockOwned(manager: EntityManager, principal: Principal, domainId: string): Promise<Domain | null> {
    if (!this.inScope(principal, domainId)) return null;
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
      const storedStatus = domain.status;
      if (UNPROVEN_STATUSES.includes(storedStatus)) {
        domain.status = DomainStatus.EXPIRED;
        await this.audit.record(manager, {
          accountId: domain.accountId,
          domain,
          action: AuditAction.DOMAIN_EXPIRED,
          actor: SYSTEM_ACTOR,
          message: `The token for ${domain.name} expired before the record was found.`,
          previousStatus: storedStatus,
          newStatus: DomainStatus.EXPIRED,
          requestId: ctx.requestId,
        });
      }
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

  private async revokeForNewOwner(manager: EntityManager, holder: Domain, requestId: string | null, now: Date): Promise<void> {
    holder.status = DomainStatus.REVOKED;
    holder.verifiedName = null;
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
    });
  }
}
