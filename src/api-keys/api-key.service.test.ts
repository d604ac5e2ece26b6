import { ApiKeyService, ApiKeySettings } from "./api-key.service";
import { hashApiKeySecret } from "./api-key.secret";
import { FAKE_API_KEY_SETTINGS, createFakeApiKeyService } from "./testing/fake-api-key-service";
import { AuditAction, ActorType } from "../audit/audit.types";
import { DomainStatus } from "../shared/domain-status";
import { RequestRefused } from "../shared/errors";
import type { Principal } from "../shared/principal";

const alice: Principal = { accountId: "alice", userId: "alice", email: null, isAdmin: false, via: "jwt", expiresAt: null };
const bob: Principal = { ...alice, accountId: "bob", userId: "bob" };
const ctx = (principal: Principal = alice) => ({ principal, requestId: "req-1" });

type Fake = ReturnType<typeof createFakeApiKeyService>;

async function created(fake: Fake, name = "ci", domainId: string | null = null, principal: Principal = alice) {
  const result = await fake.service.create(ctx(principal), { name, domainId });
  if (!result.ok) throw new Error(result.error.message);
  return result;
}

describe("ApiKeyService.create", () => {
  it("creates an account-wide key, keeps only its secret's hash and audits it as the user", async () => {
    const fake = createFakeApiKeyService();
    const { apiKey, secret } = await created(fake, "  CI deploys ");
    expect(secret).toMatch(/^dpk_[A-Za-z0-9_-]{43}$/);
    expect(fake.store.table.get(apiKey.id)).toMatchObject({
      accountId: "alice",
      name: "CI deploys",
      prefix: secret.slice(0, 12),
      secretHash: hashApiKeySecret(secret),
      domainId: null,
      createdBy: "alice",
      createdByAdmin: false,
      createdByAdminSecret: false,
      createdAt: fake.clock.now(),
      revokedAt: null,
    });
    expect(fake.accountStore.creations).toEqual(["alice"]);
    expect(fake.audit.entries).toEqual([
      expect.objectContaining({
        accountId: "alice",
        domain: null,
        action: AuditAction.API_KEY_CREATED,
        actor: { type: ActorType.USER, id: "alice", email: null },
        message: `Created API key "CI deploys" (${apiKey.prefix}…) for every domain of the account.`,
        requestId: "req-1",
      }),
    ]);
  });

  it("refuses empty, overlong and control-character names, and writes nothing", async () => {
    const fake = createFakeApiKeyService();
    for (const name of ["   ", "x".repeat(101), "bad\u0007name"]) {
      expect(await fake.service.create(ctx(), { name, domainId: null })).toEqual({
        ok: false,
        error: { code: "INVALID_NAME", field: ["input", "name"], message: "Name the key in 1 to 100 characters, without control characters." },
      });
    }
    expect(fake.store.table.all()).toEqual([]);
    expect(fake.audit.entries).toEqual([]);
  });

  it("refuses a key past MAX_API_KEYS_PER_ACCOUNT, counting active keys of the account alone", async () => {
    const fake = createFakeApiKeyService({ settings: { maxActivePerAccount: 2 } });
    const first = await created(fake, "k1");
    await created(fake, "k2");
    await created(fake, "other", null, bob);
    expect(await fake.service.create(ctx(), { name: "k3", domainId: null })).toEqual({
      ok: false,
      error: { code: "API_KEY_LIMIT_REACHED", field: null, message: "Your account has 2 of 2 active API keys; revoke one before creating another." },
    });
    await fake.service.revoke(ctx(), first.apiKey.id);
    expect(await fake.service.create(ctx(), { name: "k3", domainId: null })).toMatchObject({ ok: true });
  });

  it("scopes a key to a VERIFIED domain of the account, and says so in the audit entry", async () => {
    const fake = createFakeApiKeyService();
    const domain = fake.putDomain({ accountId: "alice", name: "scoped.example.com" });
    const { apiKey } = await created(fake, "scoped", domain.id);
    expect(apiKey).toMatchObject({ domainId: domain.id, domainName: "scoped.example.com" });
    expect(fake.audit.entries).toEqual([
      expect.objectContaining({ domain: { id: domain.id, name: "scoped.example.com" }, message: expect.stringContaining("for scoped.example.com alone") }),
    ]);
  });

  it("refuses to scope a key to an unverified, a lapsed, another account's or a missing domain", async () => {
    const fake = createFakeApiKeyService();
    const pending = fake.putDomain({ accountId: "alice", name: "pending.example.com", status: DomainStatus.PENDING });
    const lapsed = fake.putDomain({ accountId: "alice", name: "lapsed.example.com", status: DomainStatus.PENDING, tokenExpiresAt: fake.clock.now() });
    const bobs = fake.putDomain({ accountId: "bob", name: "bob.example.com" });
    for (const domain of [pending, lapsed]) {
      expect(await fake.service.create(ctx(), { name: "k", domainId: domain.id })).toEqual({
        ok: false,
        error: { code: "DOMAIN_NOT_VERIFIED", field: ["input", "domainId"], message: `Verify ${domain.name} before scoping a key to it.` },
      });
    }
    for (const domainId of [bobs.id, "missing"]) {
      expect(await fake.service.create(ctx(), { name: "k", domainId })).toEqual({
        ok: false,
        error: { code: "NOT_FOUND", field: ["input", "domainId"], message: "No such domain in your account." },
      });
    }
    expect(fake.store.table.all()).toEqual([]);
  });

  it("lets no API key or client certificate manage keys", async () => {
    const fake = createFakeApiKeyService();
    for (const via of ["api-key", "certificate"] as const) {
      const issued: Principal = { ...alice, userId: null, via };
      await expect(fake.service.create(ctx(issued), { name: "k", domainId: null })).rejects.toBeInstanceOf(RequestRefused);
      await expect(fake.service.revoke(ctx(issued), "any")).rejects.toBeInstanceOf(RequestRefused);
      await expect(fake.service.list(issued, { first: 10, after: null })).rejects.toBeInstanceOf(RequestRefused);
      expect(await fake.service.findOwned(issued, "any")).toBeNull();
    }
  });
});

describe("ApiKeyService.revoke", () => {
  it("revokes at once, idempotently, with one audit entry", async () => {
    const fake = createFakeApiKeyService();
    const { apiKey, secret } = await created(fake);
    const revoked = await fake.service.revoke(ctx(), apiKey.id);
    expect(revoked).toMatchObject({ ok: true, apiKey: { id: apiKey.id, revokedAt: fake.clock.now() } });
    fake.clock.advance(60_000);
    expect(await fake.service.revoke(ctx(), apiKey.id)).toEqual(revoked);
    expect(fake.audit.entries.map((e) => e.action)).toEqual([AuditAction.API_KEY_CREATED, AuditAction.API_KEY_REVOKED]);
    expect(fake.audit.entries[1].message).toBe(`Revoked API key "ci" (${apiKey.prefix}…); it no longer authenticates.`);
    expect(await fake.service.authenticate(secret)).toEqual({ principal: null, problem: "The API key is not valid, or has been revoked." });
  });

  it("answers another account's key as not found, and leaves it alone", async () => {
    const fake = createFakeApiKeyService();
    const { apiKey } = await created(fake);
    expect(await fake.service.revoke(ctx(bob), apiKey.id)).toEqual({
      ok: false,
      error: { code: "NOT_FOUND", field: ["input", "id"], message: "No such API key in your account." },
    });
    expect(fake.store.table.get(apiKey.id)?.revokedAt).toBeNull();
    expect(await fake.service.findOwned(bob, apiKey.id)).toBeNull();
  });
});

describe("ApiKeyService.authenticate", () => {
  it("turns a key into the account's principal and records lastUsedAt to the minute", async () => {
    const fake = createFakeApiKeyService();
    const { apiKey, secret } = await created(fake);
    const start = fake.clock.now();
    expect(await fake.service.authenticate(secret)).toEqual({
      principal: { accountId: "alice", userId: null, email: null, isAdmin: false, via: "api-key", apiKeyId: apiKey.id, scopedDomainId: null, expiresAt: null },
    });
    fake.clock.advance(59_999);
    await fake.service.authenticate(secret);
    expect(fake.store.table.get(apiKey.id)?.lastUsedAt).toEqual(start);
    fake.clock.advance(1);
    await fake.service.authenticate(secret);
    expect(fake.store.table.get(apiKey.id)?.lastUsedAt).toEqual(fake.clock.now());
  });

  it("refuses malformed, unknown and wrong secrets alike", async () => {
    const fake = createFakeApiKeyService();
    const { secret } = await created(fake);
    const wrong = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
    for (const presented of ["", "not-a-key", "dpk_short", wrong]) {
      expect(await fake.service.authenticate(presented)).toEqual({ principal: null, problem: "The API key is not valid, or has been revoked." });
    }
  });

  it("refuses a scoped key once its domain is no longer VERIFIED or is gone, and lets it work again when verified", async () => {
    const fake = createFakeApiKeyService();
    const domain = fake.putDomain({ accountId: "alice", name: "scoped.example.com" });
    const { secret } = await created(fake, "scoped", domain.id);
    expect(await fake.service.authenticate(secret)).toMatchObject({ principal: { scopedDomainId: domain.id } });
    const inactive = { principal: null, problem: "The API key is inactive: scoped.example.com is no longer verified in this account." };

    fake.domainStore.change(domain.id, { status: DomainStatus.REVOKED });
    expect(await fake.service.authenticate(secret)).toEqual(inactive);
    fake.domainStore.change(domain.id, { status: DomainStatus.VERIFIED });
    expect(await fake.service.authenticate(secret)).toMatchObject({ principal: { accountId: "alice" } });
    await fake.domainStore.delete({} as never, domain.id);
    expect(await fake.service.authenticate(secret)).toEqual(inactive);
  });
});

describe("ApiKeyService: keys created by admins", () => {
  const admin: Principal = { ...alice, accountId: "ops", userId: "root", trustedEmail: "Root@Example.com", isAdmin: true };
  const bySecret: Principal = { ...alice, accountId: "admin", userId: "admin", isAdmin: true, via: "admin-secret" };

  async function adminOf(fake: Fake, secret: string, settings: Partial<ApiKeySettings>) {
    const service = new ApiKeyService(fake.store, fake.db, fake.domains, fake.accounts, fake.audit, fake.clock, { ...FAKE_API_KEY_SETTINGS, ...settings });
    const auth = await service.authenticate(secret);
    if (!auth.principal) throw new Error(auth.problem ?? "refused");
    return auth.principal.isAdmin;
  }

  it("act as admins only with ADMIN_ALLOW_API_KEYS, and only while their creator is still on the lists", async () => {
    const fake = createFakeApiKeyService();
    const { apiKey, secret } = await created(fake, "ops", null, admin);
    expect(apiKey).toMatchObject({ createdBy: "root", createdByEmail: "Root@Example.com", createdByAdmin: true, createdByAdminSecret: false });
    expect(await adminOf(fake, secret, { adminUserIds: ["root"] })).toBe(false);
    expect(await adminOf(fake, secret, { allowAdminKeys: true, adminUserIds: ["root"] })).toBe(true);
    expect(await adminOf(fake, secret, { allowAdminKeys: true, adminEmails: ["root@example.com"] })).toBe(true);
    expect(await adminOf(fake, secret, { allowAdminKeys: true })).toBe(false);
  });

  it("never act as admins when scoped, nor when their creator was not an admin", async () => {
    const fake = createFakeApiKeyService();
    const domain = fake.putDomain({ accountId: "ops", name: "ops.example.com" });
    const scoped = await created(fake, "scoped", domain.id, admin);
    const user = await created(fake, "user");
    const allowing = { allowAdminKeys: true, adminUserIds: ["root", "alice"] };
    expect(await adminOf(fake, scoped.secret, allowing)).toBe(false);
    expect(await adminOf(fake, user.secret, allowing)).toBe(false);
  });

  it("made with ADMIN_SECRET keep no creator, and act as admins while a secret is configured", async () => {
    const fake = createFakeApiKeyService();
    const { apiKey, secret } = await created(fake, "ops", null, bySecret);
    expect(apiKey).toMatchObject({ createdBy: null, createdByEmail: null, createdByAdmin: true, createdByAdminSecret: true });
    expect(await adminOf(fake, secret, { allowAdminKeys: true, adminSecretConfigured: true })).toBe(true);
    expect(await adminOf(fake, secret, { allowAdminKeys: true, adminSecretConfigured: false, adminUserIds: ["admin"] })).toBe(false);
  });
});

describe("ApiKeyService.list", () => {
  it("pages the account's keys newest first", async () => {
    const fake = createFakeApiKeyService({ settings: { maxActivePerAccount: 5 } });
    for (const name of ["k1", "k2", "k3"]) {
      await created(fake, name);
      fake.clock.advance(1000);
    }
    await created(fake, "bobs", null, bob);
    const page = await fake.service.list(alice, { first: 2, after: null });
    expect(page).toMatchObject({ totalCount: 3, nodes: [{ name: "k3" }, { name: "k2" }], pageInfo: { hasNextPage: true } });
  });
});
