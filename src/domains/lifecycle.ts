import { DomainStatus } from "./domain-status";
import type { VerificationOutcome } from "../dns/types";

/**
 * The status a claim moves to after a check. DNS errors and expired tokens never
 * move anything; a verified claim is not demoted by a single failed check.
 */
export function statusAfterCheck(current: DomainStatus, outcome: VerificationOutcome): DomainStatus {
  switch (outcome) {
    case "VERIFIED":
      return DomainStatus.VERIFIED;
    case "RECORD_NOT_FOUND":
    case "VALUE_MISMATCH":
    case "VERIFIED_BY_ANOTHER_ACCOUNT":
      return current === DomainStatus.PENDING ? DomainStatus.FAILED : current;
    case "DNS_ERROR":
    case "TOKEN_EXPIRED":
      return current;
  }
}

/** Statuses from which regenerating the token starts over; a verified claim stays verified. */
export function statusAfterRegeneration(current: DomainStatus): DomainStatus {
  return current === DomainStatus.VERIFIED ? DomainStatus.VERIFIED : DomainStatus.PENDING;
}
