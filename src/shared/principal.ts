import { isUnder } from "./domain-scope";
/** Who is calling, as every service sees it. */
export interface Principal {
  /** The account whose domains the caller sees and acts on. */
  accountId: string;
  userId: string | null;
  email: string | null;
  /** The e-mail, ASCII-lower-cased, when the identity provider vouches for it (email_verified); what admin checks and stored keys use. */
  trustedEmail?: string | null;
  isAdmin: boolean;
  /** How the caller authenticated; audited as the actor. "oidc": a token of the admin OIDC issuer (ADMIN_OIDC_ISSUER). */
  via: "jwt" | "admin-secret" | "api-key" | "oidc" | "certificate";
  /** For API keys scoped to one domain, and client certificates: the only domain the caller may see or touch. */
  scopedDomainId?: string | null;
  /**
   * When the scoped domain is a SUBTREE claim, its name: the caller may also see and act on the
   * account's claims of names under it. Null or absent for every other caller.
   */
  scopedSubtree?: string | null;
  /** The API key the caller presented (its local id). */
  apiKeyId?: string;
  /** The client certificate a mutual-TLS caller presented (its local id). */
  certificateId?: string;
  /**
   * When the credentials stop being valid (a JWT's or an OIDC token's exp, a client certificate's
   * notAfter), null for those that do not expire (ADMIN_SECRET, API keys until revoked). Every
   * authenticator must say: long-lived connections (subscriptions) are closed at this moment.
   */
  expiresAt: Date | null;
}

/** Credentials that stand for an integration rather than a person: they may not mint further credentials. */
export function isIssuedCredential(principal: Principal): boolean {
  return principal.via === "api-key" || principal.via === "certificate";
}

/** The account ADMIN_SECRET callers act in. */
export const ADMIN_SECRET_ACCOUNT = "admin";
/** Prefix of the accounts of the admin OIDC issuer's callers (oidc-service-accounts.ts). */
export const OIDC_ACCOUNT_PREFIX = "oidc:";

/**
 * Account ids only ADMIN_SECRET and the admin OIDC issuer may act in. A JWT's "sub" or
 * "account_id" is whatever its issuer wrote, so one naming these would reach those callers' data.
 */
export function isReservedAccountId(accountId: string): boolean {
  return accountId === ADMIN_SECRET_ACCOUNT || accountId.startsWith(OIDC_ACCOUNT_PREFIX);
}

/**
 * The longest account id (and token "sub", which is stored as the actor's id) kept: every
 * column holding one is varchar(191), the longest utf8mb4 key MySQL indexes on every row format.
 * Checked where ids enter, so a longer one is refused rather than failing an insert later.
 */
export const MAX_ACCOUNT_ID_LENGTH = 191;

/** Who acts and on behalf of which request: what every audited change needs. */
export interface ActionContext {
  principal: Principal;
  requestId: string | null;
}

/**
 * The one visibility rule: a caller sees its own account's records, and an API key scoped
 * to a domain (or a client certificate) only that domain's. `domainId` null marks an
 * account-wide record (an unscoped API key, say), which scoped callers do not see.
 */
export function canSee(principal: Principal, record: { accountId: string; domainId: string | null }): boolean {
  return record.accountId === principal.accountId && (!principal.scopedDomainId || principal.scopedDomainId === record.domainId);
}

/**
 * The domain a list shown to `principal` is limited to, given the one asked for (null: none
 * asked). A scoped caller always gets its own domain, and one that asks for another gets
 * "none"; an unscoped caller gets what it asked for, null meaning every domain of the account.
 */
export function listScope(principal: Principal, requestedDomainId: string | null): string | null | "none" {
  const scope = principal.scopedDomainId;
  if (!scope) return requestedDomainId;
  return requestedDomainId && requestedDomainId !== scope ? "none" : scope;
}

/**
 * canSee for a domain itself: a key scoped to a SUBTREE domain also sees the account's claims of
 * names under it, which an id alone cannot tell.
 */
export function canSeeDomain(principal: Principal, domain: { accountId: string; id: string; name: string }): boolean {
  if (canSee(principal, { accountId: domain.accountId, domainId: domain.id })) return true;
  return domain.accountId === principal.accountId && Boolean(principal.scopedSubtree) && isUnder(domain.name, principal.scopedSubtree!);
}

/** Whether a scoped caller's scope admits `domainId` (unscoped callers: always); the account is checked by the query itself. */
export function inScope(principal: Principal, domainId: string): boolean {
  return !principal.scopedDomainId || principal.scopedDomainId === domainId;
}

/** What authenticating a request came to: a principal, or none with the reason the credentials sent were refused. */
export type Authentication = { principal: Principal } | { principal: null; problem: string | null };
