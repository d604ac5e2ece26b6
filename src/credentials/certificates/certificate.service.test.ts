import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { webcrypto } from "node:crypto";
import { Certificate, CertificateRevocationReason } from "./certificate.entity";
import { createFakeCertificateService } from "./testing/fake-certificate-service";
import { CertificateAuthority, loadCertificateAuthority } from "../ca/certificate-authority";
import { loadX509, sha256Hex } from "../x509";
import type { AuditEntry } from "../../audit/audit-entry.entity";
import { ActorType, AuditAction } from "../../audit/audit.types";
import { DomainStatus } from "../../shared/domain-status";
import type { CredentialsConfig } from "../../shared/config";
import { RequestRefused } from "../../shared/errors";
import type { Principal } from "../../shared/principal";

const DAY = 86_400_000;
const alice: Principal = { accountId: "alice", userId: "alice", email: null, isAdmin: false, via: "jwt", expiresAt: null };
const bob: Principal = { ...alice, accountId: "bob", userId: "bob" };
const ctx = (principal: Principal = alice) => ({ principal, requestId: "req-1" });

/** Development CAs, made offline in temporary directories: one that signs, one that is not ours. */
let ca: CertificateAuthority;
let strangerCa: CertificateAuthority;
const dirs: string[] = [];
async function developmentCa(): Promise<CertificateAuthority> {
  const devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-ca-"));
  dirs.push(devDir);
  return (await loadCertificateAuthority({ devDir } as CredentialsConfig, "development"))!;
}
beforeAll(async () => {
  ca = await developmentCa();
  strangerCa = await developmentCa();
});
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

async function csr(): Promise<string> {
  const algorithm = { name: "ECDSA", namedCurve: "P-256" };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const x509 = await loadX509();
  return (await x509.Pkcs10CertificateRequestGenerator.create({ name: "CN=anything", keys, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } })).toString("pem");
}

async function derOf(pem: string): Promise<Uint8Array> {
  return new Uint8Array(new (await loadX509()).X509Certificate(pem).rawData);
}

type Fake = ReturnType<typeof createFakeCertificateService>;

function setUp(overrides: Parameters<typeof createFakeCertificateService>[0] = {}) {
  const fake = createFakeCertificateService({ ca, ...overrides });
  const domain = fake.putDomain({ accountId: "alice", name: "app.example.com" });
  return { ...fake, domain };
}

async function issued(fake: Fake, domainId: string): Promise<Certificate> {
  const result = await fake.service.issue(ctx(), domainId, await csr());
  if (!result.ok) throw new Error(result.error.message);
  return result.certificate;
}

describe("CertificateService.issue", () => {
  it("issues for a VERIFIED domain of the caller: the row says what the certificate says, audited in the same transaction", async () => {
    const fake = setUp();
    fake.clock.set("2026-11-22T10:00:00.750Z");
    const result = await fake.service.issue(ctx(), fake.domain.id, await csr());
    if (!result.ok) throw new Error(result.error.message);
    const { certificate } = result;
    expect(result.chainPem).toBe(ca.pem);
    const x509 = new (await loadX509()).X509Certificate(certificate.pem);
    expect(certificate).toMatchObject({
      accountId: "alice",
      domainId: fake.domain.id,
      domainName: "app.example.com",
      serialNumber: x509.serialNumber.toLowerCase(),
      fingerprintSha256: sha256Hex(new Uint8Array(x509.rawData)),
      notBefore: new Date("2026-11-22T10:00:00.000Z"),
      notAfter: new Date(new Date("2026-11-22T10:00:00.000Z").getTime() + 30 * DAY),
      revokedAt: null,
      createdAt: fake.clock.now(),
    });
    expect(fake.store.table.get(certificate.id)).toEqual(certificate);
    expect(fake.audit.entries).toEqual([
      expect.objectContaining({
        action: AuditAction.CERTIFICATE_ISSUED,
        domain: { id: fake.domain.id, name: "app.example.com" },
        message: `Issued a client certificate for app.example.com (serial ${certificate.serialNumber}), valid until ${certificate.notAfter.toISOString()}.`,
      }),
    ]);
  });

  it("refuses an unverified domain, another account's and a missing one", async () => {
    const fake = setUp();
    const pending = fake.putDomain({ accountId: "alice", name: "pending.example.com", status: DomainStatus.PENDING });
    expect(await fake.service.issue(ctx(), pending.id, await csr())).toEqual({
      ok: false,
      error: { code: "DOMAIN_NOT_VERIFIED", field: ["input", "domainId"], message: "Verify pending.example.com before asking for a certificate for it." },
    });
    for (const [principal, domainId] of [[bob, fake.domain.id], [alice, "missing"]] as const) {
      expect(await fake.service.issue(ctx(principal), domainId, await csr())).toEqual({
        ok: false,
        error: { code: "NOT_FOUND", field: ["input", "domainId"], message: "No such domain in your account." },
      });
    }
    expect(fake.store.table.all()).toEqual([]);
  });

  it("refuses past MAX_CERTIFICATES_PER_DOMAIN, counting neither revoked nor expired certificates", async () => {
    const fake = setUp({ settings: { maxActivePerDomain: 2, ttlMs: DAY } });
    const first = await issued(fake, fake.domain.id);
    await issued(fake, fake.domain.id);
    const over = { ok: false, error: { code: "CERTIFICATE_LIMIT_REACHED", field: ["input", "domainId"], message: "app.example.com has 2 of 2 active certificates; revoke one before issuing another." } };
    expect(await fake.service.issue(ctx(), fake.domain.id, await csr())).toEqual(over);
    const other = fake.putDomain({ accountId: "alice", name: "other.example.com" });
    await issued(fake, other.id);

    await fake.service.revoke(ctx(), first.id);
    await issued(fake, fake.domain.id);
    expect(await fake.service.issue(ctx(), fake.domain.id, await csr())).toEqual(over);
    fake.clock.advance(DAY + 1000);
    await issued(fake, fake.domain.id);
  });

  it("refuses a CSR it cannot use as INVALID_CSR", async () => {
    const fake = setUp();
    expect(await fake.service.issue(ctx(), fake.domain.id, "not a CSR")).toEqual({
      ok: false,
      error: expect.objectContaining({ code: "INVALID_CSR", field: ["input", "csr"] }),
    });
  });

  it("lets no API key or client certificate issue, and says so when no CA is configured", async () => {
    const fake = setUp();
    for (const via of ["api-key", "certificate"] as const) {
      await expect(fake.service.issue(ctx({ ...alice, userId: null, via }), fake.domain.id, await csr())).rejects.toBeInstanceOf(RequestRefused);
    }
    const off = setUp({ ca: null });
    await expect(off.service.issue(ctx(), off.domain.id, await csr())).rejects.toThrow(/Certificate issuing is off on this server/);
  });
});

describe("CertificateService.revoke", () => {
  it("revokes on the owner's request, idempotently, with one audit entry", async () => {
    const fake = setUp();
    const certificate = await issued(fake, fake.domain.id);
    const revoked = await fake.service.revoke(ctx(), certificate.id);
    expect(revoked).toMatchObject({ ok: true, certificate: { revokedAt: fake.clock.now(), revocationReason: CertificateRevocationReason.REVOKED_BY_OWNER } });
    fake.clock.advance(1000);
    expect(await fake.service.revoke(ctx(), certificate.id)).toEqual(revoked);
    expect(fake.store.table.get(certificate.id)).toMatchObject({ revokedAt: new Date(fake.clock.now().getTime() - 1000) });
    expect(fake.audit.entries.map((e) => e.action)).toEqual([AuditAction.CERTIFICATE_ISSUED, AuditAction.CERTIFICATE_REVOKED]);
    expect(fake.audit.entries[1].message).toBe(`Revoked the client certificate for app.example.com (serial ${certificate.serialNumber}): its owner revoked it.`);
  });

  it("answers another account's certificate, and one outside a scoped caller's domain, as not found", async () => {
    const fake = setUp();
    const certificate = await issued(fake, fake.domain.id);
    const scopedElsewhere: Principal = { ...alice, userId: null, via: "api-key", scopedDomainId: "elsewhere" };
    for (const principal of [bob, scopedElsewhere]) {
      expect(await fake.service.revoke(ctx(principal), certificate.id)).toEqual({
        ok: false,
        error: { code: "NOT_FOUND", field: ["input", "id"], message: "No such certificate in your account." },
      });
      expect(await fake.service.findOwned(principal, certificate.id)).toBeNull();
    }
    expect(fake.store.table.get(certificate.id)?.revokedAt).toBeNull();
  });
});

describe("CertificateService.revokeWithDomain", () => {
  function entry(action: AuditAction, domainId: string | null, fake: Fake): AuditEntry {
    return { action, domainId, accountId: "alice", actorType: ActorType.SYSTEM, actorId: null, actorEmail: null, createdAt: fake.clock.now(), requestId: "req-9" } as AuditEntry;
  }

  it.each([
    [AuditAction.DOMAIN_REMOVED, CertificateRevocationReason.DOMAIN_REMOVED, "its domain was removed"],
    [AuditAction.DOMAIN_REVOKED, CertificateRevocationReason.DOMAIN_NOT_VERIFIED, "its domain is no longer verified"],
    [AuditAction.DOMAIN_EXPIRED, CertificateRevocationReason.DOMAIN_NOT_VERIFIED, "its domain is no longer verified"],
  ])("revokes the domain's live certificates on %s, oldest first, as the entry's actor", async (action, reason, words) => {
    const fake = setUp();
    const older = await issued(fake, fake.domain.id);
    fake.clock.advance(1000);
    const newer = await issued(fake, fake.domain.id);
    const other = await issued(fake, fake.putDomain({ accountId: "alice", name: "other.example.com" }).id);
    fake.audit.entries.length = 0;
    fake.clock.advance(1000);
    await fake.service.revokeWithDomain({} as never, [entry(action, fake.domain.id, fake)]);
    for (const id of [older.id, newer.id]) expect(fake.store.table.get(id)).toMatchObject({ revokedAt: fake.clock.now(), revocationReason: reason });
    expect(fake.store.table.get(other.id)?.revokedAt).toBeNull();
    expect(fake.audit.entries).toEqual(
      [older, newer].map((c) =>
        expect.objectContaining({
          action: AuditAction.CERTIFICATE_REVOKED,
          actor: { type: ActorType.SYSTEM, id: null, email: null },
          requestId: "req-9",
          message: `Revoked the client certificate for app.example.com (serial ${c.serialNumber}): ${words}.`,
        }),
      ),
    );
  });

  it("leaves certificates alone for other actions, for entries without a domain, and once revoked", async () => {
    const fake = setUp();
    const revoked = await issued(fake, fake.domain.id);
    await fake.service.revoke(ctx(), revoked.id);
    const live = await issued(fake, fake.domain.id);
    fake.audit.entries.length = 0;
    await fake.service.revokeWithDomain({} as never, [entry(AuditAction.VERIFICATION_SUCCEEDED, fake.domain.id, fake)]);
    await fake.service.revokeWithDomain({} as never, [entry(AuditAction.DOMAIN_REMOVED, null, fake)]);
    await fake.service.revokeWithDomain({} as never, [entry(AuditAction.CERTIFICATE_REVOKED, fake.domain.id, fake)]);
    expect(fake.store.table.get(live.id)?.revokedAt).toBeNull();
    expect(fake.audit.entries).toEqual([]);
    await fake.service.revokeWithDomain({} as never, [entry(AuditAction.DOMAIN_REMOVED, fake.domain.id, fake)]);
    expect(fake.audit.entries.map((e) => e.message)).toEqual([expect.stringContaining(live.serialNumber)]);
  });
});

describe("CertificateService.revokeWithDomain for a batch of entries", () => {
  function entry(action: AuditAction, domainId: string | null, fake: Fake, actorId: string | null = null): AuditEntry {
    return { action, domainId, accountId: "alice", actorType: ActorType.SYSTEM, actorId, actorEmail: null, createdAt: fake.clock.now(), requestId: "req-9" } as AuditEntry;
  }

  it("reads every domain's certificates once and records their revocations together, each domain's oldest first, under its first revoking entry", async () => {
    const fake = setUp();
    const second = fake.putDomain({ accountId: "alice", name: "second.example.com" });
    const kept = fake.putDomain({ accountId: "alice", name: "kept.example.com" });
    const firstOlder = await issued(fake, fake.domain.id);
    const secondOlder = await issued(fake, second.id);
    fake.clock.advance(1000);
    const firstNewer = await issued(fake, fake.domain.id);
    const secondNewer = await issued(fake, second.id);
    const untouched = await issued(fake, kept.id);
    fake.audit.entries.length = 0;
    fake.clock.advance(1000);
    const reads = jest.spyOn(fake.store, "unrevokedOfDomains");
    const recorded = jest.spyOn(fake.audit, "recordMany");

    await fake.service.revokeWithDomain({} as never, [
      entry(AuditAction.DOMAIN_REMOVED, fake.domain.id, fake, "first-entry"),
      entry(AuditAction.VERIFICATION_SUCCEEDED, kept.id, fake),
      entry(AuditAction.DOMAIN_EXPIRED, second.id, fake),
      entry(AuditAction.DOMAIN_REVOKED, fake.domain.id, fake, "later-entry"),
    ]);

    expect(reads).toHaveBeenCalledTimes(1);
    expect(reads.mock.calls[0][1]).toEqual([fake.domain.id, second.id]);
    expect(recorded).toHaveBeenCalledTimes(1);
    for (const id of [firstOlder.id, firstNewer.id]) expect(fake.store.table.get(id)).toMatchObject({ revocationReason: CertificateRevocationReason.DOMAIN_REMOVED });
    for (const id of [secondOlder.id, secondNewer.id]) expect(fake.store.table.get(id)).toMatchObject({ revocationReason: CertificateRevocationReason.DOMAIN_NOT_VERIFIED });
    expect(fake.store.table.get(untouched.id)?.revokedAt).toBeNull();
    expect(fake.audit.entries.map((e) => [e.action, e.domain?.id, e.actor.id, e.message])).toEqual([
      [AuditAction.CERTIFICATE_REVOKED, fake.domain.id, "first-entry", expect.stringContaining(`${firstOlder.serialNumber}): its domain was removed.`)],
      [AuditAction.CERTIFICATE_REVOKED, fake.domain.id, "first-entry", expect.stringContaining(`${firstNewer.serialNumber}): its domain was removed.`)],
      [AuditAction.CERTIFICATE_REVOKED, second.id, null, expect.stringContaining(`${secondOlder.serialNumber}): its domain is no longer verified.`)],
      [AuditAction.CERTIFICATE_REVOKED, second.id, null, expect.stringContaining(`${secondNewer.serialNumber}): its domain is no longer verified.`)],
    ]);
  });
});

describe("CertificateService.authenticate", () => {
  it("turns a certificate it issued into a principal scoped to its domain", async () => {
    const fake = setUp();
    const certificate = await issued(fake, fake.domain.id);
    expect(await fake.service.authenticate(await derOf(certificate.pem))).toEqual({
      principal: {
        accountId: "alice",
        userId: null,
        email: null,
        isAdmin: false,
        via: "certificate",
        scopedDomainId: fake.domain.id,
        certificateId: certificate.id,
        expiresAt: certificate.notAfter,
      },
    });
  });

  it("refuses certificates it does not know, and known fingerprints another CA signed", async () => {
    const fake = setUp();
    const notOurs = { principal: null, problem: "The client certificate was not issued by this server." };
    const stranger = createFakeCertificateService({ ca: strangerCa, clock: fake.clock });
    const foreign = await issued(stranger, stranger.putDomain({ accountId: "alice", name: "app.example.com" }).id);
    const der = await derOf(foreign.pem);
    expect(await fake.service.authenticate(der)).toEqual(notOurs);
    fake.store.table.put(Object.assign(new Certificate(), foreign, { domainId: fake.domain.id }));
    expect(await fake.service.authenticate(der)).toEqual(notOurs);
  });

  it("refuses a certificate not valid yet, expired, revoked, or whose domain is no longer VERIFIED", async () => {
    const fake = setUp({ settings: { ttlMs: DAY } });
    const certificate = await issued(fake, fake.domain.id);
    const der = await derOf(certificate.pem);
    const problem = async () => ((await fake.service.authenticate(der)) as { problem: string | null }).problem;

    fake.clock.advance(-2000);
    expect(await problem()).toBe("The client certificate is not valid yet.");
    fake.clock.advance(2000);
    fake.domainStore.change(fake.domain.id, { status: DomainStatus.REVOKED });
    expect(await problem()).toBe("The client certificate is inactive: app.example.com is no longer verified in this account.");
    fake.domainStore.change(fake.domain.id, { status: DomainStatus.VERIFIED });
    fake.clock.advance(DAY + 1000);
    expect(await problem()).toBe("The client certificate has expired; issue a new one.");
    fake.clock.advance(-DAY - 1000);
    await fake.service.revoke(ctx(), certificate.id);
    expect(await problem()).toBe("The client certificate has been revoked.");
  });
});

describe("CertificateService.list", () => {
  it("lists the account's certificates newest first, per domain on request, and none of another domain to a scoped caller", async () => {
    const fake = setUp();
    const other = fake.putDomain({ accountId: "alice", name: "other.example.com" });
    const first = await issued(fake, fake.domain.id);
    fake.clock.advance(1000);
    const second = await issued(fake, other.id);
    const page = { first: 10, after: null };
    expect((await fake.service.list(alice, page, null)).nodes.map((c) => c.id)).toEqual([second.id, first.id]);
    expect((await fake.service.list(alice, page, other.id)).nodes.map((c) => c.id)).toEqual([second.id]);
    const scoped: Principal = { ...alice, userId: null, via: "api-key", scopedDomainId: fake.domain.id };
    expect((await fake.service.list(scoped, page, null)).nodes.map((c) => c.id)).toEqual([first.id]);
    expect(await fake.service.list(scoped, page, other.id)).toMatchObject({ totalCount: 0, nodes: [] });
    expect((await fake.service.list(bob, page, null)).totalCount).toBe(0);
  });
});
