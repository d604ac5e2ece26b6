import { DomainStatus } from "../shared/domain-status";
import { STALE, TOKEN_LAPSED, TOKEN_RAN_OUT, UNPROVEN_STATUSES, effectiveStatus, hasEffectiveStatus, tokenHasLapsed, tokenRanOut } from "./status-rules";
import { matches, toSql } from "../shared/row-rule";

const now = new Date("2026-11-22T10:00:00.000Z");
const before = new Date(now.getTime() - 1);
const after = new Date(now.getTime() + 1);
const ALL = Object.values(DomainStatus);

describe("effectiveStatus", () => {
  it.each([
    [DomainStatus.PENDING, after, DomainStatus.PENDING],
    [DomainStatus.PENDING, now, DomainStatus.EXPIRED],
    [DomainStatus.FAILED, before, DomainStatus.EXPIRED],
    [DomainStatus.FAILED, after, DomainStatus.FAILED],
    [DomainStatus.VERIFIED, before, DomainStatus.VERIFIED],
    [DomainStatus.REVOKED, before, DomainStatus.REVOKED],
    [DomainStatus.EXPIRED, after, DomainStatus.EXPIRED],
  ])("reads %s with a token running out at %s as %s", (status, tokenExpiresAt, seen) => {
    expect(effectiveStatus({ status, tokenExpiresAt }, now)).toBe(seen);
  });

  it("is what hasEffectiveStatus selects, for every status and token expiry", () => {
    for (const status of ALL) {
      for (const tokenExpiresAt of [before, now, after]) {
        const row = { status, tokenExpiresAt };
        const selectedUnder = ALL.filter((s) => matches(hasEffectiveStatus(s), row, now));
        expect(selectedUnder).toEqual([effectiveStatus(row, now)]);
      }
    }
  });

  it("treats a lapsed token as lapsed from the instant it runs out", () => {
    expect(matches(TOKEN_LAPSED, { status: DomainStatus.PENDING, tokenExpiresAt: now }, now)).toBe(true);
    expect(matches(TOKEN_LAPSED, { status: DomainStatus.VERIFIED, tokenExpiresAt: before }, now)).toBe(false);
  });
});

describe("tokenRanOut", () => {
  it.each([
    [DomainStatus.PENDING, now, true],
    [DomainStatus.FAILED, before, true],
    [DomainStatus.EXPIRED, before, true],
    [DomainStatus.REVOKED, now, true],
    [DomainStatus.REVOKED, after, false],
    [DomainStatus.PENDING, after, false],
    [DomainStatus.VERIFIED, before, false],
  ])("holds for %s with a token running out at %s: %s", (status, tokenExpiresAt, ranOut) => {
    expect(tokenRanOut({ status, tokenExpiresAt }, now)).toBe(ranOut);
  });

  it("is TOKEN_LAPSED for unproven claims, and lapsed claims are exactly the unproven ones whose token ran out", () => {
    expect(TOKEN_LAPSED).toEqual([{ statuses: [DomainStatus.PENDING, DomainStatus.FAILED], compare: { column: "tokenExpiresAt", op: "<=" } }]);
    for (const status of ALL) {
      for (const tokenExpiresAt of [before, now, after]) {
        const row = { status, tokenExpiresAt };
        expect(tokenHasLapsed(row, now)).toBe(UNPROVEN_STATUSES.includes(status) && tokenRanOut(row, now));
        expect(matches(TOKEN_RAN_OUT, row, now)).toBe(tokenRanOut(row, now));
      }
    }
  });
});

describe("STALE", () => {
  it.each([
    [DomainStatus.EXPIRED, now, after, true],
    [DomainStatus.EXPIRED, after, before, false],
    [DomainStatus.REVOKED, after, now, true],
    [DomainStatus.REVOKED, before, after, false],
    [DomainStatus.PENDING, before, before, false],
    [DomainStatus.VERIFIED, before, before, false],
  ])("holds for %s (token until %s, updated %s): %s", (status, tokenExpiresAt, updatedAt, stale) => {
    expect(matches(STALE, { status, tokenExpiresAt, updatedAt }, now)).toBe(stale);
  });
});

describe("toSql", () => {
  it("writes the rule's clauses with parameters named after it", () => {
    expect(toSql(STALE, "d", now, "stale")).toEqual({
      sql: "((d.status IN (:...staleStatuses0) AND d.tokenExpiresAt <= :staleAt) OR (d.status IN (:...staleStatuses1) AND d.updatedAt <= :staleAt))",
      params: { staleAt: now, staleStatuses0: [DomainStatus.EXPIRED], staleStatuses1: [DomainStatus.REVOKED] },
    });
  });
});
