import { DomainStatus } from "../shared/domain-status";
import { effectiveStatus } from "./status-rules";
import { graceEnd, nextReverification, nextUnprovenCheck, stateAfterCheck, statusAfterCheck, statusAfterRegeneration } from "./lifecycle";

const now = new Date("2026-11-22T10:00:00Z");
const later = new Date("2026-12-01T00:00:00Z");
const earlier = new Date("2026-11-01T00:00:00Z");

describe("effectiveStatus", () => {
  it("reads an unproven claim past its token's expiry as EXPIRED", () => {
    expect(effectiveStatus({ status: DomainStatus.PENDING, tokenExpiresAt: earlier }, now)).toBe(DomainStatus.EXPIRED);
    expect(effectiveStatus({ status: DomainStatus.FAILED, tokenExpiresAt: now }, now)).toBe(DomainStatus.EXPIRED);
    expect(effectiveStatus({ status: DomainStatus.PENDING, tokenExpiresAt: later }, now)).toBe(DomainStatus.PENDING);
  });
  it("never expires a verified or revoked claim", () => {
    expect(effectiveStatus({ status: DomainStatus.VERIFIED, tokenExpiresAt: earlier }, now)).toBe(DomainStatus.VERIFIED);
    expect(effectiveStatus({ status: DomainStatus.REVOKED, tokenExpiresAt: earlier }, now)).toBe(DomainStatus.REVOKED);
  });
});

describe("statusAfterCheck", () => {
  it.each([
    [DomainStatus.PENDING, "VERIFIED", DomainStatus.VERIFIED],
    [DomainStatus.FAILED, "VERIFIED", DomainStatus.VERIFIED],
    [DomainStatus.REVOKED, "VERIFIED", DomainStatus.VERIFIED],
    [DomainStatus.PENDING, "RECORD_NOT_FOUND", DomainStatus.FAILED],
    [DomainStatus.PENDING, "VALUE_MISMATCH", DomainStatus.FAILED],
    [DomainStatus.PENDING, "VERIFIED_BY_ANOTHER_ACCOUNT", DomainStatus.FAILED],
    [DomainStatus.FAILED, "RECORD_NOT_FOUND", DomainStatus.FAILED],
    [DomainStatus.PENDING, "DNS_ERROR", DomainStatus.PENDING],
    [DomainStatus.FAILED, "DNS_ERROR", DomainStatus.FAILED],
    [DomainStatus.VERIFIED, "DNS_ERROR", DomainStatus.VERIFIED],
    [DomainStatus.VERIFIED, "RECORD_NOT_FOUND", DomainStatus.VERIFIED],
    [DomainStatus.PENDING, "DNSSEC_BOGUS", DomainStatus.PENDING],
    [DomainStatus.FAILED, "DNSSEC_BOGUS", DomainStatus.FAILED],
    [DomainStatus.VERIFIED, "DNSSEC_BOGUS", DomainStatus.VERIFIED],
    [DomainStatus.PENDING, "DNSSEC_INSECURE", DomainStatus.FAILED],
    [DomainStatus.VERIFIED, "DNSSEC_INSECURE", DomainStatus.VERIFIED],
  ] as const)("%s + %s → %s", (from, outcome, to) => {
    expect(statusAfterCheck(from, outcome)).toBe(to);
  });
});

describe("statusAfterRegeneration", () => {
  it("starts over unless verified", () => {
    expect(statusAfterRegeneration(DomainStatus.FAILED)).toBe(DomainStatus.PENDING);
    expect(statusAfterRegeneration(DomainStatus.EXPIRED)).toBe(DomainStatus.PENDING);
    expect(statusAfterRegeneration(DomainStatus.REVOKED)).toBe(DomainStatus.PENDING);
    expect(statusAfterRegeneration(DomainStatus.VERIFIED)).toBe(DomainStatus.VERIFIED);
  });
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const schedule = {
  pendingFirstCheckMs: MINUTE,
  pendingBackoffMs: [1, 5, 15, 60, 360].map((m) => m * MINUTE),
  reverifyIntervalMs: 24 * HOUR,
  reverifyGraceMs: 72 * HOUR,
};
const at = (ms: number) => new Date(now.getTime() + ms);

describe("nextUnprovenCheck", () => {
  const issued = now;
  const expires = at(30 * 24 * HOUR);

  it("climbs the ladder: 1 minute after the claim, then 1, 5, 15 and 60 minutes apart, then every 6 hours", () => {
    const slots: number[] = [];
    let cursor = issued;
    for (let i = 0; i < 8; i++) {
      cursor = nextUnprovenCheck(issued, expires, cursor, schedule);
      slots.push((cursor.getTime() - issued.getTime()) / MINUTE);
    }
    expect(slots).toEqual([1, 2, 7, 22, 82, 442, 802, 1162]);
  });

  it("is anchored at the token's issue, so a late or manual check does not shift the ladder", () => {
    expect(nextUnprovenCheck(issued, expires, at(3 * MINUTE), schedule)).toEqual(at(7 * MINUTE));
    expect(nextUnprovenCheck(issued, expires, at(7 * MINUTE), schedule)).toEqual(at(22 * MINUTE));
    expect(nextUnprovenCheck(issued, expires, at(10 * 24 * HOUR + 1), schedule).getTime() - issued.getTime()).toBe((82 + 360 * 40) * MINUTE);
  });

  it("never falls after the token's expiry, when the claim is due to be expired", () => {
    const soon = at(5 * MINUTE);
    expect(nextUnprovenCheck(issued, soon, at(2 * MINUTE), schedule)).toEqual(soon);
    expect(nextUnprovenCheck(issued, at(30_000), issued, schedule)).toEqual(at(30_000));
  });

  it("repeats a single gap forever", () => {
    const flat = { ...schedule, pendingFirstCheckMs: 10_000, pendingBackoffMs: [20_000] };
    expect(nextUnprovenCheck(issued, expires, at(10_000), flat)).toEqual(at(30_000));
    expect(nextUnprovenCheck(issued, expires, at(75_000), flat)).toEqual(at(90_000));
  });
});

describe("nextReverification", () => {
  it("lands within ±10% of the interval", () => {
    expect(nextReverification(now, schedule, () => 0)).toEqual(at(0.9 * 24 * HOUR));
    expect(nextReverification(now, schedule, () => 0.5)).toEqual(at(24 * HOUR));
    expect(nextReverification(now, schedule, () => 0.999999).getTime()).toBeLessThanOrEqual(at(1.1 * 24 * HOUR).getTime());
  });
});

describe("stateAfterCheck", () => {
  const middle = () => 0.5;
  const verified = { status: DomainStatus.VERIFIED, failingSince: null, tokenIssuedAt: earlier, tokenExpiresAt: later };

  it("keeps a verified domain verified and re-checks it an interval later when the record is there", () => {
    expect(stateAfterCheck(verified, "VERIFIED", now, schedule, middle)).toEqual({
      status: DomainStatus.VERIFIED,
      failingSince: null,
      nextCheckAt: at(24 * HOUR),
      revoked: false,
    });
  });

  it.each(["RECORD_NOT_FOUND", "VALUE_MISMATCH", "DNSSEC_BOGUS", "DNSSEC_INSECURE"] as const)("starts the grace period on the first %s, keeping the domain VERIFIED", (outcome) => {
    expect(stateAfterCheck(verified, outcome, now, schedule, middle)).toEqual({
      status: DomainStatus.VERIFIED,
      failingSince: now,
      nextCheckAt: at(24 * HOUR),
      revoked: false,
    });
  });

  it("keeps the start of the grace period on later failures and checks again no later than its end", () => {
    const failing = { ...verified, failingSince: at(-60 * HOUR) };
    expect(stateAfterCheck(failing, "RECORD_NOT_FOUND", now, schedule, middle)).toEqual({
      status: DomainStatus.VERIFIED,
      failingSince: at(-60 * HOUR),
      nextCheckAt: at(12 * HOUR),
      revoked: false,
    });
  });

  it("resets the grace period when the record is found again", () => {
    const failing = { ...verified, failingSince: at(-60 * HOUR) };
    expect(stateAfterCheck(failing, "VERIFIED", now, schedule, middle)).toMatchObject({ status: DomainStatus.VERIFIED, failingSince: null, revoked: false });
  });

  it("revokes on the first definite failure at or after the end of the grace period", () => {
    const failing = { ...verified, failingSince: at(-72 * HOUR) };
    expect(stateAfterCheck(failing, "RECORD_NOT_FOUND", now, schedule, middle)).toEqual({
      status: DomainStatus.REVOKED,
      failingSince: null,
      nextCheckAt: null,
      revoked: true,
    });
  });

  it("never revokes on a BOGUS re-check before the grace period has run", () => {
    const justStarted = { ...verified, failingSince: at(-71 * HOUR) };
    expect(stateAfterCheck(justStarted, "DNSSEC_BOGUS", now, schedule, middle)).toMatchObject({ status: DomainStatus.VERIFIED, revoked: false });
    const over = { ...verified, failingSince: at(-72 * HOUR) };
    expect(stateAfterCheck(over, "DNSSEC_BOGUS", now, schedule, middle)).toMatchObject({ status: DomainStatus.REVOKED, revoked: true });
  });

  it("never lets a DNS error start, extend or end a grace period, and asks again soon", () => {
    expect(stateAfterCheck(verified, "DNS_ERROR", now, schedule, middle)).toEqual({
      status: DomainStatus.VERIFIED,
      failingSince: null,
      nextCheckAt: at(15 * MINUTE),
      revoked: false,
    });
    const pastGrace = { ...verified, failingSince: at(-100 * HOUR) };
    expect(stateAfterCheck(pastGrace, "DNS_ERROR", now, schedule, middle)).toEqual({
      status: DomainStatus.VERIFIED,
      failingSince: at(-100 * HOUR),
      nextCheckAt: at(15 * MINUTE),
      revoked: false,
    });
    const graceEndsSoon = { ...verified, failingSince: at(-72 * HOUR + MINUTE) };
    expect(stateAfterCheck(graceEndsSoon, "DNS_ERROR", now, schedule, middle).nextCheckAt).toEqual(at(MINUTE));
  });

  it("moves unverified claims along the backoff ladder and verified ones to the re-verification interval", () => {
    const pending = { status: DomainStatus.PENDING, failingSince: null, tokenIssuedAt: now, tokenExpiresAt: at(30 * 24 * HOUR) };
    expect(stateAfterCheck(pending, "RECORD_NOT_FOUND", at(MINUTE), schedule, middle)).toEqual({
      status: DomainStatus.FAILED,
      failingSince: null,
      nextCheckAt: at(2 * MINUTE),
      revoked: false,
    });
    expect(stateAfterCheck(pending, "DNS_ERROR", at(MINUTE), schedule, middle)).toMatchObject({ status: DomainStatus.PENDING, nextCheckAt: at(2 * MINUTE) });
    // An automatic check before anything could be published leaves the claim PENDING.
    for (const outcome of ["RECORD_NOT_FOUND", "VALUE_MISMATCH", "VERIFIED_BY_ANOTHER_ACCOUNT"] as const) {
      expect(stateAfterCheck(pending, outcome, at(MINUTE), schedule, middle, "automatic")).toEqual({
        status: DomainStatus.PENDING,
        failingSince: null,
        nextCheckAt: at(2 * MINUTE),
        revoked: false,
      });
    }
    expect(stateAfterCheck(pending, "VERIFIED", at(MINUTE), schedule, middle)).toMatchObject({
      status: DomainStatus.VERIFIED,
      nextCheckAt: at(MINUTE + 24 * HOUR),
    });
  });

  it("schedules nothing for revoked and expired claims that are not proven again", () => {
    const revoked = { ...verified, status: DomainStatus.REVOKED };
    expect(stateAfterCheck(revoked, "RECORD_NOT_FOUND", now, schedule)).toMatchObject({ status: DomainStatus.REVOKED, nextCheckAt: null, revoked: false });
    expect(stateAfterCheck(revoked, "VERIFIED", now, schedule, middle)).toMatchObject({ status: DomainStatus.VERIFIED, nextCheckAt: at(24 * HOUR) });
    const expired = { ...verified, status: DomainStatus.EXPIRED };
    expect(stateAfterCheck(expired, "TOKEN_EXPIRED", now, schedule)).toMatchObject({ status: DomainStatus.EXPIRED, nextCheckAt: null });
  });
});

describe("graceEnd", () => {
  it("is failingSince plus the grace period, or null while checks pass", () => {
    expect(graceEnd(null, schedule)).toBeNull();
    expect(graceEnd(now, schedule)).toEqual(at(72 * HOUR));
  });
});
