import { Domain } from "./domain.entity";
import { planCheck } from "./check-plan";
import { DomainStatus } from "../shared/domain-status";
import { AuditAction, SYSTEM_ACTOR } from "../audit/audit.types";
import { expectedTxtValue } from "../verification/records";
import type { VerificationCheckData, VerificationOutcome } from "../verification/types";

const DAY = 86_400_000;
const NOW = new Date("2026-11-22T10:00:00.000Z");
const schedule = { pendingFirstCheckMs: 60_000, pendingBackoffMs: [300_000, 3_600_000], reverifyIntervalMs: DAY, reverifyGraceMs: 3 * DAY };
const settings = { cnameZone: "verify.dnsproof.test", schedule };

function claim(fields: Partial<Domain> = {}): Domain {
  return Object.assign(new Domain(), {
    id: "mine",
    accountId: "alice",
    name: "example.com",
    status: DomainStatus.PENDING,
    token: "token-mine",
    previousTokens: [],
    tokenIssuedAt: new Date(NOW.getTime() - DAY),
    tokenExpiresAt: new Date(NOW.getTime() + 29 * DAY),
    verifiedName: null,
    verifiedAt: null,
    lastCheckedAt: null,
    lastCheck: null,
    failingSince: null,
    nextCheckAt: NOW,
    leaseOwner: null,
    leaseExpiresAt: null,
    tokenExpiryWarnedAt: null,
    createdAt: NOW,
    updatedAt: NOW,
    ...fields,
  });
}

const verified = (fields: Partial<Domain> = {}) => claim({ status: DomainStatus.VERIFIED, verifiedName: "example.com", verifiedAt: new Date(NOW.getTime() - 10 * DAY), ...fields });
const check = (outcome: VerificationOutcome, values: string[] = []): VerificationCheckData => ({
  outcome,
  method: "TXT",
  checkedAt: NOW,
  message: `${outcome} message`,
  foundValues: values,
  hints: [],
  servers: [],
  dnssec: "UNVALIDATED",
});
const plan = (domain: Domain, result: VerificationCheckData, others: Domain[] = [], mode: "automatic" | "explicit" = "automatic") =>
  planCheck({ domain, claims: [domain, ...others], check: result, now: NOW, settings, mode, actor: SYSTEM_ACTOR, requestId: null, random: () => 0.5 });

describe("planCheck", () => {
  it.each([
    ["a pending claim proven", claim(), check("VERIFIED", [expectedTxtValue("token-mine")]), DomainStatus.VERIFIED, [AuditAction.VERIFICATION_SUCCEEDED]],
    ["a pending claim not found", claim(), check("RECORD_NOT_FOUND"), DomainStatus.PENDING, [AuditAction.VERIFICATION_FAILED]],
    ["a pending claim that DNS could not answer", claim(), check("DNS_ERROR"), DomainStatus.PENDING, [AuditAction.VERIFICATION_INCONCLUSIVE]],
    ["a pending claim in a zone whose DNSSEC fails", claim(), check("DNSSEC_BOGUS"), DomainStatus.PENDING, [AuditAction.VERIFICATION_INCONCLUSIVE]],
    [
      "a verified claim whose zone turned BOGUS: the grace period starts, nothing is revoked",
      verified(),
      check("DNSSEC_BOGUS"),
      DomainStatus.VERIFIED,
      [AuditAction.GRACE_PERIOD_STARTED, AuditAction.VERIFICATION_INCONCLUSIVE],
    ],
    ["a verified claim re-proven", verified(), check("VERIFIED", [expectedTxtValue("token-mine")]), DomainStatus.VERIFIED, [AuditAction.VERIFICATION_SUCCEEDED]],
    ["a verified claim's first failure: the grace period starts first", verified(), check("RECORD_NOT_FOUND"), DomainStatus.VERIFIED, [AuditAction.GRACE_PERIOD_STARTED, AuditAction.VERIFICATION_FAILED]],
    ["a failure within the grace period", verified({ failingSince: new Date(NOW.getTime() - DAY) }), check("RECORD_NOT_FOUND"), DomainStatus.VERIFIED, [AuditAction.VERIFICATION_FAILED]],
    [
      "a failure after the grace period: revoked, its entry last",
      verified({ failingSince: new Date(NOW.getTime() - 4 * DAY) }),
      check("RECORD_NOT_FOUND"),
      DomainStatus.REVOKED,
      [AuditAction.VERIFICATION_FAILED, AuditAction.DOMAIN_REVOKED],
    ],
  ])("%s", (_name, domain, result, status, actions) => {
    const planned = plan(domain, result);
    expect(planned.changes.status).toBe(status);
    expect(planned.changes.verifiedName).toBe(status === DomainStatus.VERIFIED ? "example.com" : null);
    expect(planned.entries.map((entry) => entry.action)).toEqual(actions);
    expect(planned.revokeHolder).toBeNull();
  });

  it("stamps verifiedAt only when the claim becomes VERIFIED", () => {
    expect(plan(claim(), check("VERIFIED", [expectedTxtValue("token-mine")])).changes.verifiedAt).toEqual(NOW);
    expect(plan(verified(), check("VERIFIED", [expectedTxtValue("token-mine")])).changes).not.toHaveProperty("verifiedAt");
  });

  it("leaves the name with its holder when only the holder's record is found", () => {
    const holder = verified({ id: "bobs", accountId: "bob", token: "token-bob" });
    const planned = plan(claim(), check("VERIFIED", [expectedTxtValue("token-bob")]), [holder]);
    expect(planned.result.outcome).toBe("VERIFIED_BY_ANOTHER_ACCOUNT");
    expect(planned.changes.status).toBe(DomainStatus.PENDING);
    expect(planned.revokeHolder).toBeNull();
  });

  it("takes the name from its holder when this claim's record is found and the holder's is gone", () => {
    const holder = verified({ id: "bobs", accountId: "bob", token: "token-bob" });
    const planned = plan(claim(), check("VERIFIED", [expectedTxtValue("token-mine")]), [holder], "explicit");
    expect(planned.revokeHolder).toBe(holder);
    expect(planned.changes.status).toBe(DomainStatus.VERIFIED);
  });

  it("writes nothing: the claim it was given is unchanged", () => {
    const domain = verified();
    const before = { ...domain };
    plan(domain, check("RECORD_NOT_FOUND"));
    expect({ ...domain }).toEqual(before);
  });
});
