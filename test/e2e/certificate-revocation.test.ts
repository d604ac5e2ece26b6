import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ManualClock } from "../../src/shared/clock";
import { AuditAction, SYSTEM_ACTOR } from "../../src/audit/audit.types";
import { Certificate } from "../../src/credentials/certificates/certificate.entity";
import { fromGlobalId } from "../../src/graphql/global-id";
import * as x509 from "@peculiar/x509";
import { startBind9, Bind9Server } from "../support/bind9";
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";
import { PkiWorkspace, createPkiWorkspace } from "../support/pki";
import { fetchCrlUntil, listsSerial } from "../support/crl";

/**
 * Revocation follows the domain, end to end: records published and withdrawn in bind9 drive
 * verification, re-verification and transfer through the real verifier, and each way a domain
 * is lost revokes its certificates in the same commit, audited, in the next CRL (checked by openssl).
 */
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { host value } } userErrors { code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified check { outcome } domain { status } } }`;
const ISSUE = `mutation($domainId: ID!, $csr: String!) { issueCertificate(input: { domainId: $domainId, csr: $csr }) { certificate { id pem serialNumber } chainPem userErrors { code } } }`;
const CERTS = `query($d: ID) { certificates(domainId: $d) { nodes { id revokedAt revocationReason } } }`;
const AUDIT = `query($d: ID) { auditLog(domainId: $d, action: CERTIFICATE_REVOKED) { nodes { message actor { type } } } }`;
const ZONE = "revoke.test";
const HOUR = 3600_000;

let dns: Bind9Server;
beforeAll(async () => {
  dns = await startBind9({ zones: [{ name: ZONE }] });
});
afterAll(async () => dns?.stop());

describe.each(DATABASE_FLAVORS)("certificate revocation through bind9 on %s", (db) => {
  let t: TestApp;
  let pki: PkiWorkspace;
  let devDir: string;
  const clock = new ManualClock(new Date());
  let seq = 0;
  const fresh = (label: string) => `${label}-${process.pid}-${++seq}-${db}.${ZONE}`;

  /** A name claimed and verified through bind9 by `token`'s account, with one certificate. */
  const certified = async (token: string, name = fresh("svc")) => {
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    await dns.update(ZONE, [`update add ${domain.txtRecord.host}. 60 TXT "${domain.txtRecord.value}"`]);
    expect((await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain.verified).toBe(true);
    const issued = (await t.gql(ISSUE, { domainId: domain.id, csr: await pki.csr(await pki.key("ec")) }, { token })).body.data.issueCertificate;
    expect(issued.userErrors).toEqual([]);
    return { name, id: domain.id as string, host: domain.txtRecord.host as string, value: domain.txtRecord.value as string, cert: issued.certificate, ca: issued.chainPem as string };
  };
  const crl = async () => Buffer.from(await (await fetch(`${t.url}/crl`)).arrayBuffer());
  /** openssl's verdict now (the manual clock's now), against the CRL the server serves now. */
  const opensslSays = async (c: { cert: { pem: string }; ca: string }) => pki.verify(c.cert.pem, c.ca, await crl(), clock.now().getTime() / 1000);
  /** Waits (bounded) for the background rebuild that lists `c`'s certificate. */
  const listed = (c: { cert: { serialNumber: string } }) => fetchCrlUntil(t.url, (der) => listsSerial(der, c.cert.serialNumber));

  beforeAll(async () => {
    pki = createPkiWorkspace();
    devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-revoke-"));
    t = await startTestApp({
      db,
      overrides: { clock },
      env: { DNS_SERVERS: dns.server, DNS_TIMEOUT_MS: "1500", DEV_CREDENTIALS_DIR: devDir, REVERIFY_INTERVAL_HOURS: "1", REVERIFY_GRACE_HOURS: "2", MAX_DOMAINS_PER_ACCOUNT: "50", CRL_REFRESH_SECONDS: "0.1", CRL_MIN_REBUILD_SECONDS: "0.2" },
    });
  });
  afterAll(async () => {
    await t?.close();
    pki?.cleanup();
    fs.rmSync(devDir, { recursive: true, force: true });
  });

  it("revokes a removed domain's certificates (DOMAIN_REMOVED, Cessation Of Operation)", async () => {
    const token = await t.token(`rm-${db}`);
    const c = await certified(token);
    expect(await opensslSays(c)).toMatchObject({ ok: true });
    await t.gql(`mutation($id: ID!) { removeDomain(input: { id: $id }) { removedDomainId } }`, { id: c.id }, { token });
    expect((await t.gql(CERTS, { d: c.id }, { token })).body.data.certificates.nodes).toEqual([{ id: c.cert.id, revokedAt: expect.any(String), revocationReason: "DOMAIN_REMOVED" }]);
    expect((await t.gql(AUDIT, { d: c.id }, { token })).body.data.auditLog.nodes).toEqual([{ message: expect.stringContaining("was removed"), actor: { type: "USER" } }]);
    await listed(c);
    expect((await opensslSays(c)).output).toMatch(/certificate revoked/);
    expect(await pki.crlText(await crl())).toMatch(new RegExp(`${c.cert.serialNumber.toUpperCase()}[\\s\\S]*?Cessation Of Operation`));
  });

  it("revokes the certificates of a domain whose record stayed missing past the grace period (DOMAIN_NOT_VERIFIED, actor SYSTEM)", async () => {
    const token = await t.token(`grace-${db}`);
    const c = await certified(token);
    await dns.update(ZONE, [`update delete ${c.host}. TXT`]);
    clock.advance(1.2 * HOUR);
    await t.app.scheduler.runOnce();
    expect((await t.gql(`query($id: ID!) { domain(id: $id) { status failingSince } }`, { id: c.id }, { token })).body.data.domain).toMatchObject({ status: "VERIFIED", failingSince: expect.any(String) });
    expect((await t.gql(CERTS, { d: c.id }, { token })).body.data.certificates.nodes[0].revokedAt).toBeNull();
    expect(await opensslSays(c)).toMatchObject({ ok: true });

    clock.advance(2.5 * HOUR);
    await t.app.scheduler.runOnce();
    expect((await t.gql(`query($id: ID!) { domain(id: $id) { status } }`, { id: c.id }, { token })).body.data.domain.status).toBe("REVOKED");
    expect((await t.gql(CERTS, { d: c.id }, { token })).body.data.certificates.nodes).toEqual([{ id: c.cert.id, revokedAt: clock.now().toISOString(), revocationReason: "DOMAIN_NOT_VERIFIED" }]);
    expect((await t.gql(AUDIT, { d: c.id }, { token })).body.data.auditLog.nodes).toEqual([{ message: expect.stringContaining("no longer verified"), actor: { type: "SYSTEM" } }]);
    await listed(c);
    expect((await opensslSays(c)).output).toMatch(/certificate revoked/);
  });

  it("revokes the former owner's certificates when another account proves control (a transfer)", async () => {
    const [a, b] = [await t.token(`from-${db}`), await t.token(`to-${db}`)];
    const name = fresh("moved");
    const former = await certified(a, name);
    await dns.update(ZONE, [`update delete ${former.host}. TXT`]);
    const newcomer = await certified(b, name);
    expect((await t.gql(`query($id: ID!) { domain(id: $id) { status } }`, { id: former.id }, { token: a })).body.data.domain.status).toBe("REVOKED");
    expect((await t.gql(CERTS, { d: former.id }, { token: a })).body.data.certificates.nodes).toEqual([{ id: former.cert.id, revokedAt: expect.any(String), revocationReason: "DOMAIN_NOT_VERIFIED" }]);
    expect((await t.gql(AUDIT, { d: former.id }, { token: a })).body.data.auditLog.nodes).toEqual([{ message: expect.any(String), actor: { type: "SYSTEM" } }]);
    await listed(former);
    expect((await opensslSays(former)).output).toMatch(/certificate revoked/);
    expect(await opensslSays(newcomer)).toMatchObject({ ok: true });
  });

  it("revokes on an expiry entry too, and revokes nothing when the change rolls back", async () => {
    // A VERIFIED domain never expires here (only unproven claims do), so an expiry entry is written by hand to prove the listener takes it.
    const token = await t.token(`expiry-${db}`);
    const c = await certified(token);
    const domainId = fromGlobalId(c.id).localId;
    const entry = { accountId: `expiry-${db}`, domain: { id: domainId, name: c.name }, actor: SYSTEM_ACTOR, message: "test" };
    await expect(
      t.app.db.transaction(async (manager) => {
        await t.app.audit.record(manager, { ...entry, action: AuditAction.DOMAIN_REMOVED });
        throw new Error("the removal fails after its entry was written");
      }),
    ).rejects.toThrow("the removal fails");
    expect((await t.app.db.manager.findOneByOrFail(Certificate, { domainId })).revokedAt).toBeNull();

    await t.app.db.transaction((manager) => t.app.audit.record(manager, { ...entry, action: AuditAction.DOMAIN_EXPIRED }));
    expect(await t.app.db.manager.findOneByOrFail(Certificate, { domainId })).toMatchObject({ revocationReason: "DOMAIN_NOT_VERIFIED", revokedAt: expect.any(Date) });
    await listed(c);
    expect((await opensslSays(c)).output).toMatch(/certificate revoked/);
  });

  it("serves a CRL valid for CRL_VALIDITY_HOURS and replaces it before it lapses", async () => {
    const token = await t.token(`crl-${db}`);
    const c = await certified(token);
    await t.gql(`mutation($id: ID!) { revokeCertificate(input: { id: $id }) { userErrors { code } } }`, { id: c.cert.id }, { token });
    const first = new x509.X509Crl(await listed(c));
    expect(first.nextUpdate!.getTime() - first.thisUpdate.getTime()).toBe(24 * HOUR);
    clock.advance(6 * HOUR);
    expect((await crl()).equals(Buffer.from(first.rawData))).toBe(true);
    clock.advance(7 * HOUR);
    const second = new x509.X509Crl(await fetchCrlUntil(t.url, (der) => new x509.X509Crl(der).thisUpdate > first.thisUpdate));
    expect(second.thisUpdate.getTime()).toBeGreaterThan(first.thisUpdate.getTime());
    expect(second.nextUpdate!.getTime()).toBeGreaterThan(first.nextUpdate!.getTime());
    expect(second.entries.length).toBeGreaterThan(0);

    // Past their notAfter, revoked certificates fail on their dates alone, and leave the CRL.
    clock.advance(91 * 24 * HOUR);
    expect(new x509.X509Crl(await fetchCrlUntil(t.url, (der) => new x509.X509Crl(der).entries.length === 0)).entries).toEqual([]);
  });
});
