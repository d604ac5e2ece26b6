import { Domain } from "./domain.entity";
import { VerificationService } from "./verification.service";
import { FakeAuditLog, FakeDomainStore, FakeTransactions } from "./testing/fake-domain-store";
import { DomainStatus } from "../shared/domain-status";
import { DomainScope } from "../shared/domain-scope";
import { ManualClock } from "../shared/clock";
import { SYSTEM_ACTOR } from "../audit/audit.types";
import { AuditAction } from "../audit/audit.types";
import { expectedTxtValue } from "../verification/records";
import type { VerificationCheckData, VerificationOutcome, VerificationRequest } from "../verification/types";
import { ScriptedVerifier } from "../verification/testing/scripted-verifier";
import type { Principal } from "../shared/principal";

const DAY = 86_400_000;
const TTL = 30 * DAY;
const schedule = { pendingFirstCheckMs: 60_000, pendingBackoffMs: [300_000, 3_600_000], reverifyIntervalMs: DAY, reverifyGraceMs: 3 * DAY };
const ZONE = "verify.dnsproof.test";
const alice: Principal = { accountId: "alice", userId: "alice", email: null, isAdmin: false, via: "jwt", expiresAt: null };

function check(outcome: VerificationOutcome, foundValues: string[], at: Date): VerificationCheckData {
  return { outcome, method: "TXT", checkedAt: at, message: `${outcome} message`, foundValues, hints: [], servers: [], dnssec: "UNVALIDATED" };
}

function setUp(answer: (request: VerificationRequest, call: number) => VerificationCheckData = (r) => check("VERIFIED", [expectedTxtValue(r.token)], clock.now())) {
  const store = new FakeDomainStore(clock);
  const audit = new FakeAuditLog();
  const verifier = new ScriptedVerifier(clock, answer);
  const service = new VerificationService(store, new FakeTransactions(store, audit), audit, verifier, clock, {
    tokenTtlMs: TTL,
    cnameZone: ZONE,
    schedule,
    tokenExpiryWarningMs: 3 * DAY,
  });
  return { store, audit, verifier, service };
}

let clock: ManualClock;
let ids = 0;
beforeEach(() => {
  clock = new ManualClock("2026-11-22T10:00:00.000Z");
});

function claim(fields: Partial<Domain> = {}): Domain {
  const now = clock.now();
  const id = `d${String(++ids).padStart(4, "0")}`;
  return Object.assign(new Domain(), {
    id,
    accountId: "alice",
    name: "example.com",
    scope: DomainScope.EXACT,
    inheritedFromId: null,
    status: DomainStatus.PENDING,
    token: `token-${id}`,
    previousTokens: [],
    tokenIssuedAt: now,
    tokenExpiresAt: new Date(now.getTime() + TTL),
    verifiedName: null,
    verifiedAt: null,
    lastCheckedAt: null,
    lastCheck: null,
    failingSince: null,
    nextCheckAt: new Date(now.getTime() + 60_000),
    leaseOwner: null,
    leaseExpiresAt: null,
    tokenExpiryWarnedAt: null,
    createdAt: now,
    updatedAt: now,
    ...fields,
  });
}

function verifiedHolder(fields: Partial<Domain> = {}): Domain {
  return claim({ accountId: "bob", status: DomainStatus.VERIFIED, verifiedName: "example.com", verifiedAt: clock.now(), nextCheckAt: null, ...fields });
}

describe("VerificationService.applyCheck: ownership", () => {
  it("counts a check as VERIFIED_BY_ANOTHER_ACCOUNT while the holder's record is still published", async () => {
    const { store, audit, service } = setUp();
    const holder = verifiedHolder();
    const mine = claim();
    store.put(holder);
    store.put(mine);
    const found = check("VERIFIED", [expectedTxtValue(mine.token), expectedTxtValue(holder.token)], clock.now());

    const applied = await service.applyCheck(mine, found, SYSTEM_ACTOR, null);

    expect(applied?.check.outcome).toBe("VERIFIED_BY_ANOTHER_ACCOUNT");
    expect(applied?.check.message).toBe(
      "Your record for example.com was found, but another account holds it verified and its record is still published; ownership moves only when that record is gone.",
    );
    expect(store.get(mine.id)).toMatchObject({ status: DomainStatus.FAILED, verifiedName: null });
    expect(store.get(holder.id)).toMatchObject({ status: DomainStatus.VERIFIED, verifiedName: "example.com" });
    expect(audit.entries.map((e) => e.action)).toEqual([AuditAction.VERIFICATION_FAILED]);
  });

  it("revokes a holder whose record is gone, gives it a fresh token window, and verifies the new owner", async () => {
    const { store, audit, service } = setUp();
    const holder = verifiedHolder({ tokenExpiresAt: new Date(clock.now().getTime() - DAY) });
    const mine = claim();
    store.put(holder);
    store.put(mine);

    const applied = await service.applyCheck(mine, check("VERIFIED", [expectedTxtValue(mine.token)], clock.now()), SYSTEM_ACTOR, null);

    expect(applied?.domain).toMatchObject({ status: DomainStatus.VERIFIED, verifiedName: "example.com" });
    expect(store.get(holder.id)).toMatchObject({
      status: DomainStatus.REVOKED,
      verifiedName: null,
      nextCheckAt: null,
      tokenIssuedAt: clock.now(),
      tokenExpiresAt: new Date(clock.now().getTime() + TTL),
    });
    expect(audit.entries.map((e) => [e.accountId, e.action, e.reason ?? null])).toEqual([
      ["bob", AuditAction.DOMAIN_REVOKED, "PROVEN_BY_ANOTHER_ACCOUNT"],
      ["alice", AuditAction.VERIFICATION_SUCCEEDED, null],
    ]);
    expect(audit.entries[0].message).toBe(
      "Another account proved control of example.com while your record was no longer published, so your verification was revoked.",
    );
  });

  it("revokes the names a SUBTREE holder's account inherited through it when another account takes the name, each with its own entry", async () => {
    const { store, audit, service } = setUp();
    const holder = verifiedHolder({ scope: DomainScope.SUBTREE });
    const child = claim({ accountId: "bob", name: "app.example.com", status: DomainStatus.VERIFIED, verifiedName: "app.example.com", inheritedFromId: holder.id });
    const ownRecord = claim({ accountId: "bob", name: "own.example.com", status: DomainStatus.VERIFIED, verifiedName: "own.example.com" });
    const mine = claim();
    for (const domain of [holder, child, ownRecord, mine]) store.put(domain);

    await service.applyCheck(mine, check("VERIFIED", [expectedTxtValue(mine.token)], clock.now()), SYSTEM_ACTOR, null);

    expect(store.get(child.id)).toMatchObject({ status: DomainStatus.REVOKED, verifiedName: null, inheritedFromId: null });
    expect(store.get(ownRecord.id)).toMatchObject({ status: DomainStatus.VERIFIED });
    expect(audit.entries.map((e) => [e.domain?.id, e.action, e.reason ?? null])).toEqual([
      [holder.id, AuditAction.DOMAIN_REVOKED, "PROVEN_BY_ANOTHER_ACCOUNT"],
      [child.id, AuditAction.DOMAIN_REVOKED, "SUBTREE_PARENT_LOST"],
      [mine.id, AuditAction.VERIFICATION_SUCCEEDED, null],
    ]);
    expect(audit.entries[1].message).toContain("transferred");
  });

  it("keeps an inherited claim VERIFIED while its parent is, recording its own failed lookup as INHERITED", async () => {
    const { store, audit, service } = setUp();
    const parent = claim({ scope: DomainScope.SUBTREE, status: DomainStatus.VERIFIED, verifiedName: "example.com" });
    const child = claim({ name: "app.example.com", status: DomainStatus.VERIFIED, verifiedName: "app.example.com", inheritedFromId: parent.id, nextCheckAt: null });
    store.put(parent);
    store.put(child);

    const applied = await service.applyCheck(child, check("RECORD_NOT_FOUND", [], clock.now()), SYSTEM_ACTOR, null);

    expect(applied?.check).toMatchObject({ outcome: "VERIFIED", method: "INHERITED" });
    expect(store.get(child.id)).toMatchObject({ status: DomainStatus.VERIFIED, failingSince: null, inheritedFromId: parent.id });
    expect(audit.entries.map((e) => e.action)).toEqual([AuditAction.VERIFICATION_SUCCEEDED]);
  });

  it("verifies a claim nobody else holds", async () => {
    const { store, audit, service } = setUp();
    const mine = claim();
    store.put(mine);
    store.put(claim({ accountId: "bob", status: DomainStatus.PENDING }));

    const applied = await service.applyCheck(mine, check("VERIFIED", [expectedTxtValue(mine.token)], clock.now()), SYSTEM_ACTOR, null);

    expect(applied?.domain).toMatchObject({ status: DomainStatus.VERIFIED, verifiedAt: clock.now(), failingSince: null });
    expect(audit.entries.map((e) => e.action)).toEqual([AuditAction.VERIFICATION_SUCCEEDED]);
  });
});

describe("VerificationService.applyCheck: leases", () => {
  it("records nothing when the lease was lost", async () => {
    const { store, audit, service } = setUp();
    const mine = claim({ leaseOwner: "another-run", leaseExpiresAt: new Date(clock.now().getTime() + 60_000) });
    store.put(mine);

    expect(await service.applyCheck(mine, check("VERIFIED", [], clock.now()), SYSTEM_ACTOR, null, { lease: "this-run" })).toBeNull();
    expect(store.get(mine.id)).toMatchObject({ status: DomainStatus.PENDING, leaseOwner: "another-run", lastCheckedAt: null });
    expect(audit.entries).toEqual([]);
  });

  it("releases the lease and records nothing when the token changed under it", async () => {
    const { store, audit, service } = setUp();
    const leased = claim({ leaseOwner: "this-run", leaseExpiresAt: new Date(clock.now().getTime() + 60_000) });
    store.put(leased);
    store.change(leased.id, { token: "regenerated" });

    expect(await service.applyCheck(leased, check("VERIFIED", [expectedTxtValue(leased.token)], clock.now()), SYSTEM_ACTOR, null, { lease: "this-run" })).toBeNull();
    expect(store.get(leased.id)).toMatchObject({ token: "regenerated", leaseOwner: null, leaseExpiresAt: null, lastCheckedAt: null });
    expect(audit.entries).toEqual([]);
  });

  it("releases the lease and records nothing when the token ran out during the lookup", async () => {
    const { store, audit, service } = setUp();
    const leased = claim({ tokenExpiresAt: new Date(clock.now().getTime() + 1000), leaseOwner: "this-run", leaseExpiresAt: new Date(clock.now().getTime() + 60_000) });
    store.put(leased);
    clock.advance(1000);

    expect(await service.applyCheck(leased, check("VERIFIED", [expectedTxtValue(leased.token)], clock.now()), SYSTEM_ACTOR, null, { lease: "this-run" })).toBeNull();
    expect(store.get(leased.id)).toMatchObject({ status: DomainStatus.PENDING, leaseOwner: null, lastCheckedAt: null });
    expect(audit.entries).toEqual([]);
  });

  it("clears the lease with the check it records", async () => {
    const { store, service } = setUp();
    const leased = claim({ leaseOwner: "this-run", leaseExpiresAt: new Date(clock.now().getTime() + 60_000) });
    store.put(leased);

    const applied = await service.applyCheck(leased, check("RECORD_NOT_FOUND", [], clock.now()), SYSTEM_ACTOR, null, { lease: "this-run" });

    // An automatic check never fails a PENDING claim.
    expect(applied?.domain).toMatchObject({ status: DomainStatus.PENDING, leaseOwner: null, leaseExpiresAt: null });
  });
});

describe("VerificationService: token races", () => {
  it("records nothing for a check made with a token regenerated meanwhile", async () => {
    const { store, service } = setUp();
    const mine = claim();
    store.put(mine);
    store.change(mine.id, { token: "regenerated" });

    expect(await service.applyCheck(mine, check("VERIFIED", [expectedTxtValue(mine.token)], clock.now()), SYSTEM_ACTOR, null)).toBeNull();
    expect(store.get(mine.id)).toMatchObject({ status: DomainStatus.PENDING, lastCheckedAt: null });
  });

  it("asks DNS once more when the token was regenerated during an explicit verify", async () => {
    let store!: FakeDomainStore;
    const mine = claim();
    const setup = setUp((request, call) => {
      if (call === 1) store.change(mine.id, { token: "regenerated", previousTokens: [mine.token] });
      return check("VERIFIED", [expectedTxtValue(request.token)], clock.now());
    });
    store = setup.store;
    store.put(mine);

    const result = await setup.service.verify({ principal: alice, requestId: "r1" }, mine.id);

    expect(setup.verifier.requests.map((r) => r.token)).toEqual([mine.token, "regenerated"]);
    expect(result).toMatchObject({ ok: true, domain: { status: DomainStatus.VERIFIED, token: "regenerated" }, check: { outcome: "VERIFIED" } });
    expect(setup.audit.entries.map((e) => [e.action, e.requestId])).toEqual([[AuditAction.VERIFICATION_SUCCEEDED, "r1"]]);
  });
});

describe("VerificationService.applyCheck: the verified-name index", () => {
  it("runs again after losing the index to a concurrent verification, and then sees its holder", async () => {
    const { store, audit, service } = setUp();
    const mine = claim();
    const rival = claim({ accountId: "bob" });
    store.put(mine);
    store.put(rival);
    // Bob's verification commits while ours is being applied: our write then collides with his verifiedName.
    store.afterNextLockOfName = () => store.change(rival.id, { status: DomainStatus.VERIFIED, verifiedName: "example.com" });
    const found = check("VERIFIED", [expectedTxtValue(mine.token), expectedTxtValue(rival.token)], clock.now());

    const applied = await service.applyCheck(mine, found, SYSTEM_ACTOR, null);

    expect(applied?.check.outcome).toBe("VERIFIED_BY_ANOTHER_ACCOUNT");
    expect(store.get(mine.id)).toMatchObject({ status: DomainStatus.FAILED, verifiedName: null });
    expect(store.get(rival.id)).toMatchObject({ status: DomainStatus.VERIFIED });
    expect(audit.entries.map((e) => e.action)).toEqual([AuditAction.VERIFICATION_FAILED]);
  });

  it("lets any other error through", async () => {
    const { store, service } = setUp();
    const mine = claim();
    store.put(mine);
    store.afterNextLockOfName = () => {
      throw new Error("connection lost");
    };
    await expect(service.applyCheck(mine, check("VERIFIED", [], clock.now()), SYSTEM_ACTOR, null)).rejects.toThrow("connection lost");
  });
});

describe("VerificationService.applyCheck: the backoff ladder", () => {
  it("is anchored at the stored tokenIssuedAt, whatever TOKEN_TTL_DAYS is now", async () => {
    const { store, service } = setUp();
    // Issued 2 minutes ago under a TTL of 7 days; this service runs with 30.
    const issued = new Date(clock.now().getTime() - 120_000);
    const mine = claim({ tokenIssuedAt: issued, tokenExpiresAt: new Date(issued.getTime() + 7 * DAY) });
    store.put(mine);

    const applied = await service.applyCheck(mine, check("RECORD_NOT_FOUND", [], clock.now()), SYSTEM_ACTOR, null);

    // The first slot after now on the ladder from the token's issue: first check at 1 minute, then 5 minutes later.
    expect(applied?.domain.nextCheckAt).toEqual(new Date(issued.getTime() + 60_000 + 300_000));
  });
});

describe("VerificationService.applyLeasedChecks", () => {
  const held = (fields: Partial<Domain> = {}) => claim({ leaseOwner: "this-run", leaseExpiresAt: new Date(clock.now().getTime() + 60_000), ...fields });

  it("records every check of a group in one transaction, each claim with its own entries, in the order given", async () => {
    const { store, audit, service } = setUp();
    const a = held({ name: "a.example.com" });
    const b = held({ name: "b.example.com", status: DomainStatus.VERIFIED, verifiedName: "b.example.com", verifiedAt: clock.now() });
    const lost = held({ name: "c.example.com", leaseOwner: "another-run" });
    for (const d of [a, b, lost]) store.put(d);
    const lock = jest.spyOn(store, "lockClaimsOfNames");

    const applied = await service.applyLeasedChecks(
      [
        { claim: a, check: check("VERIFIED", [expectedTxtValue(a.token)], clock.now()), leased: { lease: "this-run" } },
        { claim: lost, check: check("VERIFIED", [expectedTxtValue(lost.token)], clock.now()), leased: { lease: "this-run" } },
        { claim: b, check: check("RECORD_NOT_FOUND", [], clock.now()), leased: { lease: "this-run" } },
      ],
      SYSTEM_ACTOR,
      null,
    );

    expect(lock).toHaveBeenCalledTimes(1);
    expect(applied.map((r) => r && [r.domain.id, r.domain.status, r.check.outcome])).toEqual([
      [a.id, DomainStatus.VERIFIED, "VERIFIED"],
      null,
      [b.id, DomainStatus.VERIFIED, "RECORD_NOT_FOUND"],
    ]);
    expect(store.get(a.id)).toMatchObject({ status: DomainStatus.VERIFIED, verifiedName: "a.example.com", leaseOwner: null, leaseExpiresAt: null });
    expect(store.get(b.id)).toMatchObject({ status: DomainStatus.VERIFIED, failingSince: clock.now(), leaseOwner: null });
    expect(store.get(lost.id)).toMatchObject({ status: DomainStatus.PENDING, leaseOwner: "another-run", lastCheckedAt: null });
    expect(audit.entries.map((e) => [e.domain?.id, e.action])).toEqual([
      [a.id, AuditAction.VERIFICATION_SUCCEEDED],
      [b.id, AuditAction.GRACE_PERIOD_STARTED],
      [b.id, AuditAction.VERIFICATION_FAILED],
    ]);
  });

  it.each([
    ["before", true],
    ["after", false],
  ])("revokes an inherited claim checked in the same group as its parent (the child %s the parent), without the group's write undoing it", async (_, childFirst) => {
    const { store, service } = setUp();
    const failing = new Date(clock.now().getTime() - 4 * DAY);
    const parent = held({ scope: DomainScope.SUBTREE, status: DomainStatus.VERIFIED, verifiedName: "example.com", failingSince: failing });
    const child = held({ name: "app.example.com", status: DomainStatus.VERIFIED, verifiedName: "app.example.com", inheritedFromId: parent.id });
    store.put(parent);
    store.put(child);
    const items = [
      { claim: parent, check: check("RECORD_NOT_FOUND", [], clock.now()), leased: { lease: "this-run" } },
      { claim: child, check: check("RECORD_NOT_FOUND", [], clock.now()), leased: { lease: "this-run" } },
    ];

    await service.applyLeasedChecks(childFirst ? items.reverse() : items, SYSTEM_ACTOR, null);

    expect(store.get(parent.id)).toMatchObject({ status: DomainStatus.REVOKED });
    expect(store.get(child.id)).toMatchObject({ status: DomainStatus.REVOKED, verifiedName: null, inheritedFromId: null });
  });

  it("decides two claims of one name one after the other: the second sees the first verified", async () => {
    const { store, service } = setUp();
    const mine = held();
    const rival = held({ accountId: "bob" });
    store.put(mine);
    store.put(rival);
    const both = [expectedTxtValue(mine.token), expectedTxtValue(rival.token)];

    const [first, second] = await service.applyLeasedChecks(
      [mine, rival].map((d) => ({ claim: d, check: check("VERIFIED", both, clock.now()), leased: { lease: "this-run" } })),
      SYSTEM_ACTOR,
      null,
    );

    expect(first?.check.outcome).toBe("VERIFIED");
    expect(second?.check.outcome).toBe("VERIFIED_BY_ANOTHER_ACCOUNT");
    expect(store.get(rival.id)).toMatchObject({ verifiedName: null, leaseOwner: null });
  });

  it("applies each check on its own when a concurrent verification wins the verified-name index, and rolls nothing of the group in twice", async () => {
    const { store, audit, service } = setUp();
    const other = held({ name: "other.example.com" });
    const mine = held();
    const rival = claim({ accountId: "bob" });
    for (const d of [other, mine, rival]) store.put(d);
    store.afterNextLockOfName = () => store.change(rival.id, { status: DomainStatus.VERIFIED, verifiedName: "example.com" });

    const applied = await service.applyLeasedChecks(
      [
        { claim: other, check: check("RECORD_NOT_FOUND", [], clock.now()), leased: { lease: "this-run" } },
        { claim: mine, check: check("VERIFIED", [expectedTxtValue(mine.token), expectedTxtValue(rival.token)], clock.now()), leased: { lease: "this-run" } },
      ],
      SYSTEM_ACTOR,
      null,
    );

    expect(applied.map((r) => r?.check.outcome)).toEqual(["RECORD_NOT_FOUND", "VERIFIED_BY_ANOTHER_ACCOUNT"]);
    expect(audit.entries.map((e) => e.domain?.id)).toEqual([other.id, mine.id]);
    expect(store.get(rival.id)).toMatchObject({ status: DomainStatus.VERIFIED });
  });

  it("tells the verifier when it re-checks a VERIFIED claim, so remote perspectives cannot hold the outcome back", async () => {
    const setup = setUp();
    const pending = claim({ name: "pending.example.com" });
    const verified = claim({ name: "verified.example.com", status: DomainStatus.VERIFIED, verifiedName: "verified.example.com", verifiedAt: clock.now() });
    setup.store.put(pending);
    setup.store.put(verified);

    await setup.service.verify({ principal: alice, requestId: "r1" }, pending.id);
    await setup.service.verify({ principal: alice, requestId: "r2" }, verified.id);

    expect(setup.verifier.requests.map((r) => [r.name, r.recheck])).toEqual([
      ["pending.example.com", false],
      ["verified.example.com", true],
    ]);
  });

  it("changes nothing on NOT_CORROBORATED, and records it as inconclusive", async () => {
    const setup = setUp(() => ({ ...check("NOT_CORROBORATED", [], clock.now()), method: null }));
    const mine = claim();
    setup.store.put(mine);

    const result = await setup.service.verify({ principal: alice, requestId: "r1" }, mine.id);

    expect(result).toMatchObject({ ok: true, domain: { status: DomainStatus.PENDING }, check: { outcome: "NOT_CORROBORATED" } });
    expect(setup.audit.entries.map((e) => e.action)).toEqual([AuditAction.VERIFICATION_INCONCLUSIVE]);
  });
});
