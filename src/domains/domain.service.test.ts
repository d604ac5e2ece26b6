import { Domain } from "./domain.entity";
import { DomainService } from "./domain.service";
import { FakeAuditLog, FakeDomainStore, FakeTransactions } from "./testing/fake-domain-store";
import { Accounts } from "../accounts/accounts";
import { FakeAccountStore } from "../accounts/testing/fake-account-store";
import { DomainStatus } from "../shared/domain-status";
import { DomainScope } from "../shared/domain-scope";
import { ManualClock } from "../shared/clock";
import { AuditAction } from "../audit/audit.types";
import { RequestRefused } from "../shared/errors";
import type { Principal } from "../shared/principal";

const DAY = 86_400_000;
const TTL = 30 * DAY;
const MAX = 2;
const schedule = { pendingFirstCheckMs: 60_000, pendingBackoffMs: [300_000, 3_600_000], reverifyIntervalMs: DAY, reverifyGraceMs: 3 * DAY };
const alice: Principal = { accountId: "alice", userId: "alice", email: null, isAdmin: false, via: "jwt", expiresAt: null };

let clock: ManualClock;
beforeEach(() => {
  clock = new ManualClock("2026-11-22T10:00:00.000Z");
});

function setUp() {
  const store = new FakeDomainStore(clock);
  const audit = new FakeAuditLog();
  const transactions = new FakeTransactions(store, audit);
  const accountStore = new FakeAccountStore();
  const service = new DomainService(store, transactions, new Accounts(accountStore, transactions), audit, clock, {
    maxPerAccount: MAX,
    tokenTtlMs: TTL,
    schedule,
  });
  return { store, audit, accountStore, service };
}

const ctx = (principal: Principal = alice) => ({ principal, requestId: "req-1" });

async function claimed(service: DomainService, name: string): Promise<Domain> {
  const result = await service.claim(ctx(), name);
  if (!result.ok) throw new Error(result.error.message);
  return result.domain;
}

describe("DomainService.claim", () => {
  it("creates the account's row on its first claim, and claims with a fresh token window", async () => {
    const { service, accountStore, audit } = setUp();
    const domain = await claimed(service, "Example.COM");
    expect(accountStore.creations).toEqual(["alice"]);
    expect(domain).toMatchObject({
      accountId: "alice",
      name: "example.com",
      status: DomainStatus.PENDING,
      previousTokens: [],
      tokenIssuedAt: clock.now(),
      tokenExpiresAt: new Date(clock.now().getTime() + TTL),
      nextCheckAt: new Date(clock.now().getTime() + schedule.pendingFirstCheckMs),
    });
    expect(domain.token).toMatch(/^[0-9a-f]{64}$/);
    expect(audit.entries.map((e) => e.action)).toEqual([AuditAction.DOMAIN_CLAIMED]);
  });

  it("answers an existing claim of the name as it is, without counting it against the limit", async () => {
    const { service, audit } = setUp();
    const first = await claimed(service, "example.com");
    await claimed(service, "example.org");
    const again = await service.claim(ctx(), "example.com");
    expect(again).toEqual({ ok: true, domain: first, created: false });
    expect(audit.entries).toHaveLength(2);
  });

  it("refuses a claim past MAX_DOMAINS_PER_ACCOUNT with the limit's message, and writes nothing", async () => {
    const { service, store, audit } = setUp();
    await claimed(service, "one.example");
    await claimed(service, "two.example");
    const over = await service.claim(ctx(), "three.example");
    expect(over).toEqual({
      ok: false,
      error: { code: "DOMAIN_LIMIT_REACHED", field: ["input", "name"], message: "Your account holds 2 of 2 domains; remove one before claiming another." },
    });
    expect(await store.countOfAccount("alice")).toBe(2);
    expect(audit.entries).toHaveLength(2);
  });

  it("counts each account on its own", async () => {
    const { service } = setUp();
    await claimed(service, "one.example");
    await claimed(service, "two.example");
    const bob: Principal = { ...alice, accountId: "bob", userId: "bob" };
    expect(await service.claim(ctx(bob), "one.example")).toMatchObject({ ok: true, created: true });
  });

  it("refuses a scoped API key: it may not claim for the account", async () => {
    const { service } = setUp();
    await expect(service.claim(ctx({ ...alice, via: "api-key", scopedDomainId: "d1" }), "example.com")).rejects.toBeInstanceOf(RequestRefused);
  });
});

describe("DomainService.claim under a VERIFIED SUBTREE domain", () => {
  const put = (store: FakeDomainStore, fields: Partial<Domain> & Pick<Domain, "accountId" | "name">) => {
    const domain = Object.assign(new Domain(), {
      id: `id-${fields.accountId}-${fields.name}`,
      status: DomainStatus.VERIFIED,
      scope: DomainScope.EXACT,
      inheritedFromId: null,
      token: "t",
      previousTokens: [],
      tokenIssuedAt: clock.now(),
      tokenExpiresAt: new Date(clock.now().getTime() + TTL),
      verifiedName: fields.name,
      verifiedAt: clock.now(),
      lastCheckedAt: null,
      lastCheck: null,
      failingSince: null,
      nextCheckAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      tokenExpiryWarnedAt: null,
      createdAt: clock.now(),
      updatedAt: clock.now(),
      ...fields,
    });
    store.put(domain);
    return domain;
  };

  it("verifies the claim at once through the parent, with the claim's and the inheritance's entries", async () => {
    const { store, audit, service } = setUp();
    const parent = put(store, { accountId: "alice", name: "example.com", scope: DomainScope.SUBTREE });
    const child = await claimed(service, "app.example.com");
    expect(child).toMatchObject({ status: DomainStatus.VERIFIED, inheritedFromId: parent.id, lastCheck: { method: "INHERITED" } });
    expect(audit.entries.map((e) => e.action)).toEqual([AuditAction.DOMAIN_CLAIMED, AuditAction.VERIFICATION_SUCCEEDED]);
  });

  it("leaves the claim PENDING when another account's verification of the name wins the unique index meanwhile", async () => {
    const { store, audit, service } = setUp();
    put(store, { accountId: "alice", name: "example.com", scope: DomainScope.SUBTREE });
    put(store, { accountId: "bob", name: "app.example.com" });
    // Bob's verification commits between the carve-out check and the write.
    jest.spyOn(store, "namesVerifiedElsewhere").mockResolvedValueOnce([]);
    const child = await claimed(service, "app.example.com");
    expect(store.get(child.id)).toMatchObject({ status: DomainStatus.PENDING, verifiedName: null, inheritedFromId: null });
    expect(audit.entries.map((e) => e.action)).toEqual([AuditAction.DOMAIN_CLAIMED]);
  });
});

describe("DomainService.regenerateToken", () => {
  it("opens a fresh window with a new token and remembers the replaced ones, five at most", async () => {
    const { service } = setUp();
    const domain = await claimed(service, "example.com");
    const tokens = [domain.token];
    for (let i = 0; i < 6; i++) {
      clock.advance(DAY);
      const result = await service.regenerateToken(ctx(), domain.id);
      if (!result.ok) throw new Error(result.error.message);
      expect(result.domain).toMatchObject({ tokenIssuedAt: clock.now(), tokenExpiresAt: new Date(clock.now().getTime() + TTL) });
      expect(result.domain.previousTokens).toEqual(tokens.slice(0, 5));
      tokens.unshift(result.domain.token);
    }
  });
});

describe("DomainService.findVerifiedDomain", () => {
  it("tells a verified domain from an unverified one and from none", async () => {
    const { service, store } = setUp();
    const pending = await claimed(service, "pending.example");
    const verified = await claimed(service, "verified.example");
    store.change(verified.id, { status: DomainStatus.VERIFIED, verifiedName: verified.name, verifiedAt: clock.now() });

    expect(await service.findVerifiedDomain("alice", verified.id)).toMatchObject({ ok: true, domain: { id: verified.id } });
    expect(await service.findVerifiedDomain("alice", pending.id)).toMatchObject({ ok: false, domain: { id: pending.id } });
    expect(await service.findVerifiedDomain("bob", verified.id)).toEqual({ ok: false, domain: null });
    expect(await service.findVerifiedDomain("alice", "missing")).toEqual({ ok: false, domain: null });
  });

  it("reads a claim whose token ran out as not verified, before any sweep writes EXPIRED", async () => {
    const { service } = setUp();
    const pending = await claimed(service, "pending.example");
    clock.advance(TTL);
    expect(await service.findVerifiedDomain("alice", pending.id)).toMatchObject({ ok: false, domain: { status: DomainStatus.PENDING } });
  });
});
