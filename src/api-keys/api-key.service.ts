import { DomainScope } from "../shared/domain-scope";
import { isAllowlistedAdmin } from "../auth/admin-allowlist";
import { v7 as uuidv7 } from "uuid";
import { ApiKey } from "./api-key.entity";
import { generateApiKeySecret, hashApiKeySecret, looksLikeApiKeySecret } from "./api-key.secret";
import type { ApiKeyStore } from "./api-key.store";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import { AuditAction } from "../audit/audit.types";
import type { Domain } from "../domains/domain.entity";
import { type DomainService, unverifiedDomainError } from "../domains/domain.service";
import type { AuditRecorder } from "../domains/verification.service";
import type { Accounts } from "../accounts/accounts";
import { LimitWording, withinLimit } from "../accounts/limits";
import type { ActionContext } from "../shared/principal";
import type { Authentication } from "../auth/authenticator";
import { Principal, isIssuedCredential } from "../shared/principal";
import { actorOf } from "../audit/actor";
import { forbidden } from "../shared/errors";
import { Connection, PageArgs } from "../shared/pagination";
import { UserError, UserErrorCode, notFound, userError } from "../shared/errors";

export interface ApiKeySettings {
  /** ADMIN_ALLOW_API_KEYS */
  allowAdminKeys: boolean;
  adminUserIds: string[];
  adminEmails: string[];
  adminSecretConfigured: boolean;
  /** Active (unrevoked) keys one account may hold (MAX_API_KEYS_PER_ACCOUNT). */
  maxActivePerAccount: number;
}

export type CreateApiKeyResult = { ok: true; apiKey: ApiKey; secret: string } | { ok: false; error: UserError };
export type RevokeApiKeyResult = { ok: true; apiKey: ApiKey } | { ok: false; error: UserError };

const MAX_NAME_LENGTH = 100;
/** lastUsedAt is kept to the minute: one write per key a minute at most, not one per request. */
const LAST_USED_RESOLUTION_MS = 60_000;
const INVALID_KEY: Authentication = { principal: null, problem: "The API key is not valid, or has been revoked." };

/** MAX_API_KEYS_PER_ACCOUNT, as the caller is told it. */
export const API_KEY_LIMIT: LimitWording = {
  code: UserErrorCode.API_KEY_LIMIT_REACHED,
  holder: "Your account has",
  counted: "active API keys",
  remedy: "revoke one before creating another",
  field: null,
};

/**
 * Creates, lists and revokes API keys, and turns a presented secret into a Principal. Keys are
 * managed with a person's (or an admin's) credentials only: a leaked key cannot mint keys that
 * would outlive its own revocation.
 */
export class ApiKeyService {
  constructor(
    private readonly store: ApiKeyStore,
    private readonly transactions: Pick<Database, "transaction">,
    private readonly domains: Pick<DomainService, "findVerifiedDomain">,
    private readonly accounts: Accounts,
    private readonly audit: AuditRecorder,
    private readonly clock: Clock,
    private readonly settings: ApiKeySettings,
  ) {}

  /** `domainId` (a local id) scopes the key to that domain; null gives it the account's full access. */
  async create(ctx: ActionContext, input: { name: string; domainId: string | null }): Promise<CreateApiKeyResult> {
    const principal = this.manager(ctx.principal);
    const name = input.name.trim();
    if (name === "" || name.length > MAX_NAME_LENGTH || /[\p{Cc}]/u.test(name)) {
      return {
        ok: false,
        error: userError(UserErrorCode.INVALID_NAME, `Name the key in 1 to ${MAX_NAME_LENGTH} characters, without control characters.`, ["input", "name"]),
      };
    }
    // Under the account's lock, so concurrent creations are counted one after another.
    return this.accounts.locked(principal.accountId, async (manager): Promise<CreateApiKeyResult> => {
      const active = await this.store.countActive(manager, principal.accountId);
      const room = withinLimit(API_KEY_LIMIT, active, this.settings.maxActivePerAccount);
      if (!room.ok) return room;
      let domain: Domain | null = null;
      if (input.domainId) {
        const found = await this.domains.findVerifiedDomain(principal.accountId, input.domainId, manager);
        if (!found.ok) return { ok: false, error: unverifiedDomainError(found.domain, "scoping a key to it") };
        domain = found.domain;
      }
      const { secret, hash, prefix } = generateApiKeySecret();
      const apiKey = await this.store.insert(manager, Object.assign(new ApiKey(), this.newKey(principal, name, domain, this.clock.now()), { prefix, secretHash: hash }));
      await this.audit.record(manager, {
        accountId: principal.accountId,
        domain,
        action: AuditAction.API_KEY_CREATED,
        actor: actorOf(principal),
        message: `Created API key "${name}" (${prefix}…) for ${domain ? domain.name + " alone" : "every domain of the account"}.`,
        requestId: ctx.requestId,
      });
      return { ok: true, apiKey, secret };
    });
  }

  /** A new key's row, its secret aside; who created it is kept so admin keys lose their power with their creator's. */
  private newKey(principal: Principal, name: string, domain: Domain | null, now: Date) {
    const bySecret = principal.via === "admin-secret";
    return {
      id: uuidv7(),
      accountId: principal.accountId,
      name,
      domainId: domain?.id ?? null,
      domainName: domain?.name ?? null,
      createdBy: bySecret ? null : principal.userId,
      createdByEmail: bySecret ? null : (principal.trustedEmail ?? null),
      createdByAdmin: principal.isAdmin,
      createdByAdminSecret: bySecret,
      createdAt: now,
      lastUsedAt: null,
      revokedAt: null,
    };
  }

  /** Revoking a revoked key changes nothing and answers the key as it is. */
  async revoke(ctx: ActionContext, apiKeyId: string): Promise<RevokeApiKeyResult> {
    const principal = this.manager(ctx.principal);
    return this.transactions.transaction(async (manager) => {
      const apiKey = await this.store.lockVisible(manager, principal, apiKeyId);
      if (!apiKey) return { ok: false, error: notFound("API key") };
      if (apiKey.revokedAt) return { ok: true, apiKey };
      apiKey.revokedAt = this.clock.now();
      await this.store.save(manager, apiKey);
      await this.audit.record(manager, {
        accountId: apiKey.accountId,
        domain: apiKey.domainId ? { id: apiKey.domainId, name: apiKey.domainName ?? "" } : null,
        action: AuditAction.API_KEY_REVOKED,
        actor: actorOf(principal),
        message: `Revoked API key "${apiKey.name}" (${apiKey.prefix}…); it no longer authenticates.`,
        requestId: ctx.requestId,
      });
      return { ok: true, apiKey };
    });
  }

  async list(principal: Principal, page: PageArgs): Promise<Connection<ApiKey>> {
    const { accountId } = this.manager(principal);
    return this.store.page(accountId, page);
  }

  /** The caller's key, or null for a missing id, another account's id, and for callers that are API keys. */
  async findOwned(principal: Principal, apiKeyId: string): Promise<ApiKey | null> {
    if (isIssuedCredential(principal)) return null;
    return this.store.findInAccount(principal.accountId, apiKeyId);
  }

  /**
   * A presented dpk_ secret as a Principal. A scoped key works only while its domain exists and
   * is VERIFIED: checking here, on every request, makes removal or revocation of the domain
   * take effect at once, whichever code path caused it.
   */
  async authenticate(secret: string): Promise<Authentication> {
    if (!looksLikeApiKeySecret(secret)) return INVALID_KEY;
    const apiKey = await this.store.findBySecretHash(hashApiKeySecret(secret));
    if (!apiKey || apiKey.revokedAt) return INVALID_KEY;
    const now = this.clock.now();
    let scopedSubtree: string | null = null;
    if (apiKey.domainId) {
      const found = await this.domains.findVerifiedDomain(apiKey.accountId, apiKey.domainId);
      if (!found.ok) {
        return { principal: null, problem: `The API key is inactive: ${apiKey.domainName ?? "its domain"} is no longer verified in this account.` };
      }
      // A key scoped to a SUBTREE domain acts on the names under it too, while that domain stays VERIFIED.
      if (found.domain.scope === DomainScope.SUBTREE) scopedSubtree = found.domain.name;
    }
    if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.transactions.transaction((manager) => this.store.markUsed(manager, apiKey.id, now));
    }
    return {
      principal: {
        accountId: apiKey.accountId,
        userId: null,
        email: null,
        isAdmin: this.actsAsAdmin(apiKey),
        via: "api-key",
        // The id clients know the key by, so an audit entry's actor can be looked up with node(id:).
        apiKeyId: apiKey.id,
        scopedDomainId: apiKey.domainId,
        ...(scopedSubtree ? { scopedSubtree } : {}),
        // Keys do not expire; a revoked one stops authenticating new requests and connections.
        expiresAt: null,
      },
    };
  }

  /** Only unscoped keys, only with ADMIN_ALLOW_API_KEYS, and only while their creator is still an admin. */
  private actsAsAdmin(apiKey: ApiKey): boolean {
    if (!this.settings.allowAdminKeys || !apiKey.createdByAdmin || apiKey.domainId) return false;
    if (apiKey.createdByAdminSecret) return this.settings.adminSecretConfigured;
    return isAllowlistedAdmin(this.settings, apiKey.createdBy, apiKey.createdByEmail);
  }


  private manager(principal: Principal): Principal {
    if (isIssuedCredential(principal)) {
      throw forbidden("API keys and client certificates cannot list, create or revoke API keys; sign in as a person to manage them.");
    }
    return principal;
  }
}
