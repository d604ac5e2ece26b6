import { v7 as uuidv7 } from "uuid";
import { Domain } from "./domain.entity";
import { DomainStatus } from "../shared/domain-status";
import { STALE, effectiveStatus } from "./status-rules";
import { matches } from "../shared/row-rule";
import { normalizeDomainName } from "./domain-name";
import { freshToken } from "./token";
import { CheckSchedule, graceEndOf, nextUnprovenCheck, statusAfterRegeneration } from "./lifecycle";
import * as messages from "./messages";
import type { DomainListFilter, DomainStore, Transactions } from "./domain.store";
import type { Clock } from "../shared/clock";
import type { AuditRecorder } from "./verification.service";
import { Actor, AuditAction } from "../audit/audit.types";
import { ActionContext, Principal } from "../shared/principal";
import { actorOf } from "../audit/actor";
import { UserError, UserErrorCode, forbidden, notFound, userError } from "../shared/errors";
import type { EntityManager } from "typeorm";
import type { Accounts } from "../accounts/accounts";
import { LimitWording, withinLimit } from "../accounts/limits";
import { Connection, PageArgs } from "../shared/pagination";
import { DomainScope } from "../shared/domain-scope";
import type { AuditRecord } from "../audit/audit-log";
import { InheritanceService } from "./inheritance.service";
import { isUnder } from "./inheritance";

export interface DomainSettings {
  maxPerAccount: number;
  tokenTtlMs: number;
  schedule: CheckSchedule;
}

export type ClaimResult = { ok: true; domain: Domain; created: boolean } | { ok: false; error: UserError };
export type DomainResult = { ok: true; domain: Domain } | { ok: false; error: UserError };

/**
 * A domain asked for by what only a VERIFIED domain allows (a scoped key, a certificate, an
 * attestation). `domain` is null when the account has no such domain; a refusal with a
 * domain means it is there but not VERIFIED now.
 */
export type VerifiedDomainLookup = { ok: true; domain: Domain } | { ok: false; domain: Domain | null };

/** MAX_DOMAINS_PER_ACCOUNT, as the caller is told it. */
export const DOMAIN_LIMIT: LimitWording = {
  code: UserErrorCode.DOMAIN_LIMIT_REACHED,
  holder: "Your account holds",
  counted: "domains",
  remedy: "remove one before claiming another",
  field: ["input", "name"],
};

/** What a mutation answers when the domain it needs is missing (`domain` null) or not VERIFIED, for `purpose` ("scoping a key to it"). */
export function unverifiedDomainError(domain: { name: string } | null, purpose: string): UserError {
  if (!domain) return notFound("domain", ["input", "domainId"]);
  return userError(UserErrorCode.DOMAIN_NOT_VERIFIED, `Verify ${domain.name} before ${purpose}.`, ["input", "domainId"]);
}

/**
 * Owns what people do to their claims: claiming, regenerating the token and removing, and
 * reading them back. Every change commits together with its audit entry. What checks and
 * time do to a claim is VerificationService's.
 */
export class DomainService {
  constructor(
    private readonly store: DomainStore,
    private readonly transactions: Transactions,
    private readonly accounts: Accounts,
    private readonly audit: AuditRecorder,
    private readonly clock: Clock,
    private readonly settings: DomainSettings,
    private readonly inheritance: InheritanceService = new InheritanceService(store, settings.tokenTtlMs),
  ) {}

  async claim(ctx: ActionContext, rawName: string, scope: DomainScope = DomainScope.EXACT): Promise<ClaimResult> {
    const normalized = normalizeDomainName(rawName);
    if (!normalized.ok) {
      return { ok: false, error: userError(UserErrorCode[normalized.code], normalized.message, ["input", "name"]) };
    }
    const { accountId } = ctx.principal;
    const { name } = normalized;
    // A key scoped to a SUBTREE domain acts on the names under it, claiming included; other scoped keys claim nothing.
    if (ctx.principal.scopedDomainId && !(ctx.principal.scopedSubtree && isUnder(name, ctx.principal.scopedSubtree))) {
      throw forbidden("This API key is scoped to one domain; claiming others needs the account's own credentials.");
    }
    // Under the account's lock, so concurrent claims of one account are counted one after another.
    return this.accounts.locked(accountId, async (manager): Promise<ClaimResult> => {
      const { existing, held } = await this.store.findByNameCounting(manager, accountId, name);
      if (existing) return { ok: true, domain: existing, created: false };
      const room = withinLimit(DOMAIN_LIMIT, held, this.settings.maxPerAccount);
      if (!room.ok) return room;
      const now = this.clock.now();
      const domain = await this.store.insert(manager, this.newClaim(accountId, name, scope, now));
      const entries: AuditRecord[] = [
        {
          accountId,
          domain,
          action: AuditAction.DOMAIN_CLAIMED,
          actor: actorOf(ctx.principal),
          message: messages.claimed(name, scope),
          newStatus: DomainStatus.PENDING,
          requestId: ctx.requestId,
        },
      ];
      // A claim under one of the account's VERIFIED SUBTREE domains is verified at once, without asking DNS.
      const parent = await this.inheritance.coverOf(manager, domain, now);
      if (parent) await this.inheritance.inherit(manager, domain, parent, now, actorOf(ctx.principal), ctx.requestId, entries);
      await this.audit.recordMany(manager, entries);
      return { ok: true, domain, created: true };
    });
  }

  /** A new PENDING claim with a fresh token, first checked when the schedule says. */
  private newClaim(accountId: string, name: string, scope: DomainScope, now: Date) {
    const token = freshToken(now, this.settings.tokenTtlMs);
    return {
      id: uuidv7(),
      accountId,
      name,
      scope,
      inheritedFromId: null,
      status: DomainStatus.PENDING,
      ...token,
      verifiedName: null,
      verifiedAt: null,
      lastCheckedAt: null,
      lastCheck: null,
      failingSince: null,
      nextCheckAt: nextUnprovenCheck(now, token.tokenExpiresAt, now, this.settings.schedule),
      leaseOwner: null,
      leaseExpiresAt: null,
      tokenExpiryWarnedAt: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  async regenerateToken(ctx: ActionContext, domainId: string): Promise<DomainResult> {
    return this.transactions.transaction(async (manager) => {
      const domain = await this.store.lockVisible(manager, ctx.principal, domainId);
      if (!domain) return { ok: false, error: notFound() };
      const now = this.clock.now();
      const previousStatus = effectiveStatus(domain, now);
      const newStatus = statusAfterRegeneration(previousStatus);
      Object.assign(domain, freshToken(now, this.settings.tokenTtlMs, domain));
      domain.status = newStatus;
      domain.tokenExpiryWarnedAt = null;
      if (newStatus !== DomainStatus.VERIFIED) {
        domain.failingSince = null;
        domain.nextCheckAt = nextUnprovenCheck(now, domain.tokenExpiresAt, now, this.settings.schedule);
      }
      domain.updatedAt = now;
      await this.store.save(manager, domain);
      await this.audit.record(manager, {
        accountId: domain.accountId,
        domain,
        action: AuditAction.TOKEN_REGENERATED,
        actor: actorOf(ctx.principal),
        message: messages.tokenRegenerated(domain.name, newStatus === DomainStatus.VERIFIED),
        previousStatus,
        newStatus,
        requestId: ctx.requestId,
      });
      return { ok: true, domain };
    });
  }

  async remove(ctx: ActionContext, domainId: string): Promise<{ ok: true; removedId: string } | { ok: false; error: UserError }> {
    return this.transactions.transaction(async (manager) => {
      const domain = await this.store.lockVisible(manager, ctx.principal, domainId);
      if (!domain) return { ok: false, error: notFound() };
      const now = this.clock.now();
      const previousStatus = effectiveStatus(domain, now);
      await this.store.delete(manager, domain.id);
      const entries: AuditRecord[] = [
        {
          accountId: domain.accountId,
          domain,
          action: AuditAction.DOMAIN_REMOVED,
          actor: actorOf(ctx.principal),
          message: messages.removed(domain.name),
          previousStatus,
          newStatus: null,
          requestId: ctx.requestId,
        },
      ];
      await this.inheritance.orphanChildren(manager, domain, "removed", now, ctx.requestId, entries);
      await this.audit.recordMany(manager, entries);
      return { ok: true, removedId: domain.id };
    });
  }

  /**
   * Deletes the claims of `claimIds` that are EXPIRED or REVOKED and have stayed so since before
   * `cutoff` (cleanup), in one transaction that writes each one's DOMAIN_REMOVED entry with it;
   * their earlier entries are kept. A claim that changed meanwhile is left alone. Returns how
   * many were deleted.
   *
   * Only these claims' rows are locked, in id order (see lockByIds); no account row is written,
   * as a deletion only ever makes room under a per-account limit. READ COMMITTED takes no gap
   * locks, so a claim inserted meanwhile never waits on the batch. Keep batches to a few
   * hundred rows: the locks are held until the last entry is written.
   */
  async deleteStale(claimIds: readonly string[], cutoff: Date, actor: Actor, requestId: string | null): Promise<number> {
    if (claimIds.length === 0) return 0;
    return this.transactions.transaction(async (manager) => {
      const stale = (await this.store.lockByIds(manager, claimIds)).filter((domain) => matches(STALE, domain, cutoff));
      if (stale.length === 0) return 0;
      await this.store.deleteByIds(manager, stale.map((domain) => domain.id));
      await this.audit.recordMany(
        manager,
        stale.map((domain) => ({
          accountId: domain.accountId,
          domain,
          action: AuditAction.DOMAIN_REMOVED,
          actor,
          message: messages.deletedDuringCleanup(domain.name, domain.status),
          previousStatus: domain.status,
          newStatus: null,
          requestId,
        })),
      );
      return stale.length;
    }, "READ COMMITTED");
  }

  /** When a failing verified claim will be revoked if its record stays missing; null otherwise. */
  graceEndsAt(domain: Domain): Date | null {
    return graceEndOf(domain, this.settings.schedule);
  }

  /** When the service will next look at the claim by itself; null when it never will (expired, revoked). */
  nextCheckAt(domain: Domain): Date | null {
    const status = effectiveStatus(domain, this.clock.now());
    return status === DomainStatus.EXPIRED || status === DomainStatus.REVOKED ? null : domain.nextCheckAt;
  }

  /** The account's domain when it is VERIFIED now (a lapsed token reads EXPIRED); `manager` reads in the caller's transaction. */
  async findVerifiedDomain(accountId: string, domainId: string, manager?: EntityManager): Promise<VerifiedDomainLookup> {
    return this.verifiedNow(await this.store.findInAccount(accountId, domainId, manager));
  }

  /** As findVerifiedDomain, the domain locked for the caller's transaction: a removal or revocation running now comes first, or waits for it. */
  async lockVerifiedDomain(manager: EntityManager, accountId: string, domainId: string): Promise<VerifiedDomainLookup> {
    return this.verifiedNow(await this.store.lockInAccount(manager, accountId, domainId));
  }

  private verifiedNow(domain: Domain | null): VerifiedDomainLookup {
    if (!domain) return { ok: false, domain: null };
    return { ok: effectiveStatus(domain, this.clock.now()) === DomainStatus.VERIFIED, domain };
  }

  /** The caller's domain, or null for a missing id and for another account's id alike. */
  findOwned(principal: Principal, domainId: string): Promise<Domain | null> {
    return this.store.findVisible(principal, domainId);
  }

  findByIds(ids: readonly string[]): Promise<Domain[]> {
    return this.store.findByIds(ids);
  }

  list(principal: Principal, page: PageArgs, status: DomainStatus | null): Promise<Connection<Domain>> {
    return this.store.page(page, { accountId: principal.accountId, status, alsoUnder: principal.scopedSubtree ?? null }, principal.scopedDomainId ?? null);
  }

  listAll(page: PageArgs, filter: DomainListFilter): Promise<Connection<Domain>> {
    return this.store.page(page, filter, null);
  }

  async countForAccount(principal: Principal): Promise<number> {
    // A key scoped to a SUBTREE domain holds that domain and the account's names under it.
    if (principal.scopedSubtree) return (await this.list(principal, { first: 1, after: null }, null)).totalCount;
    if (principal.scopedDomainId) return (await this.findOwned(principal, principal.scopedDomainId)) ? 1 : 0;
    return this.store.countOfAccount(principal.accountId);
  }

  get limitPerAccount(): number {
    return this.settings.maxPerAccount;
  }
}
