import { DomainStatus } from "../shared/domain-status";
import { recordHostOf } from "../verification/records";
import type { DomainScope } from "../shared/domain-scope";

/** The English of the domains' audit entries and of the checks they rewrite; tests compare these texts. */

export const claimed = (name: string, scope?: DomainScope) =>
  `Claimed ${name}${scope === "SUBTREE" ? " and every name under it" : ""}; publish the TXT record at ${recordHostOf({ name, scope })} to verify it.`;

export const heldByAnotherAccount = (name: string) =>
  `Your record for ${name} was found, but another account holds it verified and its record is still published; ownership moves only when that record is gone.`;

export const gracePeriodStarted = (name: string, graceEndsAt: Date) =>
  `The record for ${name} was not found; it stays verified until ${graceEndsAt.toISOString()} and is revoked then unless the record is found again.`;

/** A failed check's own message, told how long the claim stays verified. */
export const checkDuringGracePeriod = (checkMessage: string, name: string, graceEndsAt: Date) =>
  `${checkMessage} ${name} stays verified until ${graceEndsAt.toISOString()} unless the record is found again by then.`;

export const revokedAfterGracePeriod = (name: string, failingSince: Date) =>
  `The record for ${name} has been missing since ${failingSince.toISOString()}, longer than the grace period, so its verification was revoked.`;

export const revokedForNewOwner = (name: string) =>
  `Another account proved control of ${name} while your record was no longer published, so your verification was revoked.`;

export const tokenRegenerated = (name: string, stillVerified: boolean) =>
  stillVerified
    ? `Issued a new token for ${name}; it stays verified, and its next re-check looks for the new record.`
    : `Issued a new token for ${name}; publish the new record and verify again.`;

export const removed = (name: string) => `Removed the claim of ${name}.`;

export const deletedDuringCleanup = (name: string, status: DomainStatus) =>
  `Deleted the ${status === DomainStatus.REVOKED ? "revoked" : "expired"} claim of ${name} during cleanup.`;

export const tokenExpiringSoon = (name: string, tokenExpiresAt: Date) =>
  `The token for ${name} runs out at ${tokenExpiresAt.toISOString()}; publish the record and verify before then, or regenerate the token.`;

export const tokenExpiredBeforeVerify = (name: string, tokenExpiresAt: Date) =>
  `The token for ${name} expired at ${tokenExpiresAt.toISOString()}; regenerate the token, publish the new record and verify again.`;

export const expired = (name: string) => `The token for ${name} expired before the record was found.`;
