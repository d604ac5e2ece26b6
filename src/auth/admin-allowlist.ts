import type { Config } from "../shared/config";

/**
 * An e-mail address as the allowlist compares it: ASCII only, ASCII-lower-cased. Unicode case
 * mapping folds look-alikes into listed addresses (the Kelvin sign U+212A lower-cases to "k"),
 * so an address with any non-ASCII character matches nothing: null.
 */
export function comparableEmail(email: string): string | null {
  if (!/^[\x21-\x7e]+$/.test(email)) return null;
  return email.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * Whether an identity provider vouches for the token's e-mail address. Only `true` (or the string
 * "true", as Amazon Cognito sends it) counts: "false", 0, null and a missing claim do not.
 */
export function isEmailVerified(claim: unknown): boolean {
  return claim === true || claim === "true";
}

/** The e-mail of a token that may open admin fields, or null. */
export function trustedEmailOf(payload: Record<string, unknown>): string | null {
  if (typeof payload.email !== "string" || !isEmailVerified(payload.email_verified)) return null;
  return comparableEmail(payload.email);
}

/** ADMIN_USER_IDS / ADMIN_EMAILS: whether a person with this user id or (trusted) e-mail is an admin. */
export function isAllowlistedAdmin(
  lists: Pick<Config["auth"], "adminUserIds" | "adminEmails">,
  userId: string | null,
  trustedEmail: string | null,
): boolean {
  if (userId !== null && lists.adminUserIds.includes(userId)) return true;
  const email = trustedEmail === null ? null : comparableEmail(trustedEmail);
  return email !== null && lists.adminEmails.some((listed) => comparableEmail(listed) === email);
}
