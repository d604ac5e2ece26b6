import type { Config } from "../config";

/** ADMIN_USER_IDS / ADMIN_EMAILS: whether a person with this user id or (trusted) e-mail is an admin. */
export function isAllowlistedAdmin(
  lists: Pick<Config["auth"], "adminUserIds" | "adminEmails">,
  userId: string | null,
  trustedEmail: string | null,
): boolean {
  return (userId !== null && lists.adminUserIds.includes(userId)) || (trustedEmail !== null && lists.adminEmails.includes(trustedEmail.toLowerCase()));
}
