import { DomainStatus, effectiveStatus } from "./domain-status";
import { statusAfterCheck, statusAfterRegeneration } from "./lifecycle";

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
