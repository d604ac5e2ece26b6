import { DomainStatus } from "../shared/domain-status";
import type { VerificationOutcome } from "../verification/types";

/**
 * Who asked for a check. Only a person's own `verifyDomain` fails a PENDING claim: an
 * automatic check a minute after claiming usually runs before anyone could publish the
 * record, and a FAILED status then would only mislead.
 */
export type CheckTrigger = "explicit" | "automatic";

/**
 * The status a claim moves to after a check, grace period aside. DNS errors, DNSSEC failures
 * (the zone's owner must fix the zone, which says nothing about the record) and expired tokens
 * never move anything; a verified claim is not demoted by a single failed check
 * (whether it is demoted at all is `stateAfterCheck`'s grace-period decision).
 */
export function statusAfterCheck(current: DomainStatus, outcome: VerificationOutcome, trigger: CheckTrigger = "explicit"): DomainStatus {
  switch (outcome) {
    case "VERIFIED":
      return DomainStatus.VERIFIED;
    case "RECORD_NOT_FOUND":
    case "VALUE_MISMATCH":
    case "VERIFIED_BY_ANOTHER_ACCOUNT":
    case "DNSSEC_INSECURE":
      return current === DomainStatus.PENDING && trigger === "explicit" ? DomainStatus.FAILED : current;
    case "DNS_ERROR":
    case "DNSSEC_BOGUS":
    case "TOKEN_EXPIRED":
      return current;
  }
}

/** Statuses from which regenerating the token starts over; a verified claim stays verified. */
export function statusAfterRegeneration(current: DomainStatus): DomainStatus {
  return current === DomainStatus.VERIFIED ? DomainStatus.VERIFIED : DomainStatus.PENDING;
}

/** When automatic checks happen; all durations in milliseconds. */
export interface CheckSchedule {
  /** From the token's issue to the first automatic check. */
  pendingFirstCheckMs: number;
  /** Gaps between the following checks of an unverified claim; the last gap repeats. */
  pendingBackoffMs: readonly number[];
  reverifyIntervalMs: number;
  reverifyGraceMs: number;
}

/** Re-checks land within ±10% of the interval, so domains verified together do not all fall due together. */
export const REVERIFY_JITTER = 0.1;

/** A verified domain whose re-check met a DNS error is asked again this soon (or after its interval, if shorter). */
export const DNS_ERROR_RETRY_MS = 15 * 60_000;

/** What the grace-period and scheduling decisions read from a claim. */
export interface ScheduledClaim {
  /** The status readers see (a lapsed PENDING claim reads EXPIRED). */
  status: DomainStatus;
  failingSince: Date | null;
  tokenIssuedAt: Date;
  tokenExpiresAt: Date;
}

export interface StateAfterCheck {
  status: DomainStatus;
  failingSince: Date | null;
  /** Null when the service will not check again by itself. */
  nextCheckAt: Date | null;
  /** This check ended a grace period: the claim went from VERIFIED to REVOKED. */
  revoked: boolean;
}

/**
 * Re-checks of a verified claim that count as failed, so the grace period runs. A BOGUS zone is
 * among them: nothing it answers can be trusted, yet it is often a botched key rollover that its
 * owner fixes within the grace period, so it never revokes at once.
 */
const DEFINITE_FAILURES: ReadonlySet<VerificationOutcome> = new Set([
  "RECORD_NOT_FOUND",
  "VALUE_MISMATCH",
  "VERIFIED_BY_ANOTHER_ACCOUNT",
  "DNSSEC_BOGUS",
  "DNSSEC_INSECURE",
]);

/**
 * Everything a check decides, without I/O. A verified claim whose record is definitely
 * missing stays VERIFIED while the grace period runs (counted from the first such check,
 * reset when the record is found again) and is REVOKED by the first missing check at or
 * after its end. DNS errors neither start, extend nor end a grace period; DNSSEC failures do,
 * like a missing record.
 */
export function stateAfterCheck(
  claim: ScheduledClaim,
  outcome: VerificationOutcome,
  now: Date,
  schedule: CheckSchedule,
  random: () => number = Math.random,
  trigger: CheckTrigger = "explicit",
): StateAfterCheck {
  if (outcome === "VERIFIED") {
    return { status: DomainStatus.VERIFIED, failingSince: null, nextCheckAt: nextReverification(now, schedule, random), revoked: false };
  }
  const status = statusAfterCheck(claim.status, outcome, trigger);
  if (claim.status === DomainStatus.VERIFIED) {
    if (DEFINITE_FAILURES.has(outcome)) {
      const failingSince = claim.failingSince ?? now;
      const graceEndsAt = new Date(failingSince.getTime() + schedule.reverifyGraceMs);
      if (now.getTime() >= graceEndsAt.getTime()) {
        return { status: DomainStatus.REVOKED, failingSince: null, nextCheckAt: null, revoked: true };
      }
      return { status, failingSince, nextCheckAt: earliest(nextReverification(now, schedule, random), graceEndsAt), revoked: false };
    }
    const retry = new Date(now.getTime() + Math.min(schedule.reverifyIntervalMs, DNS_ERROR_RETRY_MS));
    const graceEndsAt = graceEnd(claim.failingSince, schedule);
    const nextCheckAt = graceEndsAt && graceEndsAt.getTime() > now.getTime() ? earliest(retry, graceEndsAt) : retry;
    return { status, failingSince: claim.failingSince, nextCheckAt, revoked: false };
  }
  const stillScheduled = status === DomainStatus.PENDING || status === DomainStatus.FAILED;
  return {
    status,
    failingSince: null,
    nextCheckAt: stillScheduled ? nextUnprovenCheck(claim.tokenIssuedAt, claim.tokenExpiresAt, now, schedule) : null,
    revoked: false,
  };
}

/**
 * The next automatic check of an unverified claim: the first slot after `now` on a ladder
 * anchored at the token's issue (first check, then the backoff gaps, the last repeating),
 * so checks a user runs by hand neither speed up nor slow down the ladder. Never later than
 * the token's expiry, which is when the scheduler expires the claim.
 */
export function nextUnprovenCheck(tokenIssuedAt: Date, tokenExpiresAt: Date, now: Date, schedule: CheckSchedule): Date {
  const issued = tokenIssuedAt.getTime();
  const age = now.getTime() - issued;
  let slot = schedule.pendingFirstCheckMs;
  let step = 0;
  const gaps = schedule.pendingBackoffMs;
  while (slot <= age && step < gaps.length - 1) slot += gaps[step++];
  if (slot <= age) {
    const last = gaps[gaps.length - 1];
    slot += Math.floor((age - slot) / last + 1) * last;
  }
  return earliest(new Date(issued + slot), tokenExpiresAt);
}

export function nextReverification(now: Date, schedule: CheckSchedule, random: () => number = Math.random): Date {
  const spread = 1 - REVERIFY_JITTER + 2 * REVERIFY_JITTER * random();
  return new Date(now.getTime() + Math.round(schedule.reverifyIntervalMs * spread));
}

/** When a failing verified claim will be revoked if nothing changes; null while its checks pass. */
export function graceEnd(failingSince: Date | null, schedule: Pick<CheckSchedule, "reverifyGraceMs">): Date | null {
  return failingSince ? new Date(failingSince.getTime() + schedule.reverifyGraceMs) : null;
}

/** When a failing verified claim will be revoked if its record stays missing; null for every other claim. */
export function graceEndOf(claim: { status: DomainStatus; failingSince: Date | null }, schedule: Pick<CheckSchedule, "reverifyGraceMs">): Date | null {
  return claim.status === DomainStatus.VERIFIED ? graceEnd(claim.failingSince, schedule) : null;
}

function earliest(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? a : b;
}
