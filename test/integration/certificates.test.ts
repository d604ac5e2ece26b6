import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { systemClock } from "../../src/shared/clock";
import { loadConfig, ConfigError } from "../../src/shared/config";
import { createApp } from "../../src/app";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";
import { PkiWorkspace, createPkiWorkspace } from "../support/pki";
import { fetchCrlUntil, listsSerial } from "../support/crl";

const CERT_FIELDS = `id domainName serialNumber fingerprintSha256 pem notBefore notAfter revokedAt revocationReason createdAt domain { id name }`;
const ISSUE = `mutation($domainId: ID!, $csr: String!) { issueCertificate(input: { domainId: $domainId, csr: $csr }) { certificate { ${CERT_FIELDS} } chainPem userErrors { code field message } } }`;
const REVOKE = `mutation($id: ID!) { revokeCertificate(input: { id: $id }) { certificate { ${CERT_FIELDS} } userErrors { code field message } } }`;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } userErrors { code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`;
const REMOVE = `mutation($id: ID!) { removeDomain(input: { id: $id }) { removedDomainId userErrors { code } } }`;
const AUDIT = `query($domainId: ID, $action: AuditAction) { auditLog(domainId: $domainId, action: $action) { nodes { action message domainName actor { type id } } } }`;

const DAY = 24 * 3600_000;

describe.each(DATABASE_FLAVORS)("client certificates on %s", (db) => {
  let t: TestApp;
  let pki: PkiWorkspace;
  let devDir: string;
  const verifier = new ScriptedVerifier(systemClock);
  const statements: string[] = [];
  let seq = 0;
  const account = () => t.token(`certs-${db}-${++seq}`);
  const verifiedDomain = async (token: string, label = "svc") => {
    const name = `${label}-${seq}-${db}.example.com`;
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    verifier.publish(name, [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    expect((await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain.verified).toBe(true);
    return { id: domain.id as string, name };
  };
  const issue = async (token: string, domainId: string, csr: string) => (await t.gql(ISSUE, { domainId, csr }, { token })).body.data.issueCertificate;
  const crl = async () => Buffer.from(await (await fetch(`${t.url}/crl`)).arrayBuffer());
  const caPem = async () => (await fetch(`${t.url}/ca.pem`)).text();

  beforeAll(async () => {
    pki = createPkiWorkspace();
    devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-dev-ca-"));
    t = await startTestApp({ db, overrides: { verifier, onQuery: (sql) => statements.push(sql) }, env: { DEV_CREDENTIALS_DIR: devDir, PUBLIC_URL: "https://dnsproof.test", CRL_REFRESH_SECONDS: "0.1", CRL_MIN_REBUILD_SECONDS: "0.2" } });
  });
  afterAll(async () => {
    await t?.close();
    pki?.cleanup();
    fs.rmSync(devDir, { recursive: true, force: true });
  });

  it.each(["ec", "ec384", "ed25519", "rsa2048"] as const)("issues a client certificate for a %s key that openssl verifies, naming the domain alone", async (keyType) => {
    const token = await account();
    const domain = await verifiedDomain(token);
    // The CSR asks for another subject and other names: none of it may reach the certificate.
    const csr = await pki.csr(await pki.key(keyType), { subject: "/CN=evil.example/O=Someone Else", sans: ["DNS:evil.example", "DNS:*.example.com", "IP:10.0.0.1"] });
    const result = await issue(token, domain.id, csr);
    expect(result.userErrors).toEqual([]);
    const cert = result.certificate;
    expect(cert).toMatchObject({ domainName: domain.name, revokedAt: null, revocationReason: null, domain: { id: domain.id, name: domain.name } });
    expect(result.chainPem).toBe(await caPem());

    const verified = await pki.verify(cert.pem, result.chainPem, await crl());
    expect(verified).toMatchObject({ ok: true });
    const text = await pki.text(cert.pem);
    expect(text).toMatch(new RegExp(`Subject: CN ?= ?${domain.name.replace(/\./g, "\\.")}\\n`));
    expect(text).toMatch(/X509v3 Subject Alternative Name: *\n\s*DNS:([^\s,]+)\n/);
    expect(/X509v3 Subject Alternative Name: *\n\s*(.*)\n/.exec(text)![1]).toBe(`DNS:${domain.name}`);
    expect(text).not.toContain("evil.example");
    expect(text).toMatch(/Basic Constraints: critical\n\s*CA:FALSE/);
    expect(text).toMatch(/Extended Key Usage: *\n\s*TLS Web Client Authentication\n/);
    expect(text).toMatch(/Authority Key Identifier/);
    expect(text).toContain("URI:https://dnsproof.test/crl");
    expect(cert.serialNumber).toMatch(/^[0-9a-f]{16,40}$/);
    expect(BigInt(`0x${cert.serialNumber}`) >= 2n ** 63n).toBe(true);
    const days = (new Date(cert.notAfter).getTime() - new Date(cert.notBefore).getTime()) / DAY;
    expect(Math.round(days)).toBe(90);
    expect(cert.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ["an RSA-1024 key", async () => pki.csr(await pki.key("rsa1024")), /at least 2048/],
    ["garbage", async () => "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----", /could not be read/],
    ["text that is not PEM", async () => "hello", /PEM/],
    [
      "a CSR whose signature does not match its key",
      async () => {
        const pem = await pki.csr(await pki.key("ec"));
        const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
        der[der.length - 5] ^= 0x01;
        return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
      },
      /signature/,
    ],
  ])("refuses %s with INVALID_CSR", async (_label, makeCsr, message) => {
    const token = await account();
    const domain = await verifiedDomain(token);
    const result = await issue(token, domain.id, await makeCsr());
    expect(result).toMatchObject({ certificate: null, chainPem: null, userErrors: [{ code: "INVALID_CSR", field: ["input", "csr"] }] });
    expect(result.userErrors[0].message).toMatch(message);
  });

  it("issues only for the caller's VERIFIED domains, and never to API keys", async () => {
    const token = await account();
    const csr = await pki.csr(await pki.key("ec"));
    const pending = (await t.gql(CLAIM, { name: `pending-${seq}-${db}.example.com` }, { token })).body.data.claimDomain.domain;
    expect((await issue(token, pending.id, csr)).userErrors).toEqual([expect.objectContaining({ code: "DOMAIN_NOT_VERIFIED", field: ["input", "domainId"] })]);

    const mine = await verifiedDomain(token);
    const other = await account();
    expect((await issue(other, mine.id, csr)).userErrors).toEqual([expect.objectContaining({ code: "NOT_FOUND", field: ["input", "domainId"] })]);

    const { secret } = (await t.gql(`mutation($d: ID) { createApiKey(input: { name: "ci", domainId: $d }) { secret } }`, { d: mine.id }, { token })).body.data.createApiKey;
    const byKey = await t.gql(ISSUE, { domainId: mine.id, csr }, { token: secret });
    expect(byKey.body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);
  });

  it("lists certificates per account and per domain, newest first, and finds them by node id", async () => {
    const token = await account();
    const a = await verifiedDomain(token, "a");
    const b = await verifiedDomain(token, "b");
    const first = (await issue(token, a.id, await pki.csr(await pki.key("ec")))).certificate;
    const second = (await issue(token, a.id, await pki.csr(await pki.key("ec")))).certificate;
    const third = (await issue(token, b.id, await pki.csr(await pki.key("ec")))).certificate;
    const all = (await t.gql(`{ certificates { totalCount nodes { id } } }`, {}, { token })).body.data.certificates;
    expect(all).toEqual({ totalCount: 3, nodes: [{ id: third.id }, { id: second.id }, { id: first.id }] });
    const ofA = (await t.gql(`query($d: ID) { certificates(domainId: $d) { totalCount nodes { id } } }`, { d: a.id }, { token })).body.data.certificates;
    expect(ofA.nodes).toEqual([{ id: second.id }, { id: first.id }]);
    const field = (await t.gql(`query($d: ID!) { domain(id: $d) { certificates(first: 1) { totalCount nodes { id } pageInfo { hasNextPage } } } }`, { d: a.id }, { token })).body.data.domain.certificates;
    expect(field).toEqual({ totalCount: 2, nodes: [{ id: second.id }], pageInfo: { hasNextPage: true } });
    statements.length = 0;
    const batched = (await t.gql(`{ domains { nodes { name certificates { totalCount nodes { id } } } } }`, {}, { token })).body.data.domains.nodes;
    expect(batched.map((d: any) => d.certificates.totalCount).sort()).toEqual([1, 2]);
    // Two domains, one statement for their pages, one for their counts, one for the rows: not two per domain.
    // The CRL's background check (count and latest revocation) runs on its own clock, not for this request.
    expect(statements.filter((sql) => /certificates/.test(sql) && !/MAX\(\W*c\W*\.\W*revokedAt/.test(sql))).toHaveLength(3);
    const node = (await t.gql(`query($id: ID!) { node(id: $id) { ... on Certificate { serialNumber } } }`, { id: first.id }, { token })).body.data.node;
    expect(node).toEqual({ serialNumber: first.serialNumber });
    expect((await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: first.id }, { token: await account() })).body.data.node).toBeNull();
  });

  it("revokes on the owner's request: audited, in the CRL at once, and openssl -crl_check refuses it", async () => {
    const token = await account();
    const domain = await verifiedDomain(token);
    const keep = (await issue(token, domain.id, await pki.csr(await pki.key("ec")))).certificate;
    const cert = (await issue(token, domain.id, await pki.csr(await pki.key("ec")))).certificate;
    const before = await crl();
    const revoked = (await t.gql(REVOKE, { id: cert.id }, { token })).body.data.revokeCertificate;
    expect(revoked).toMatchObject({ userErrors: [], certificate: { revocationReason: "REVOKED_BY_OWNER", revokedAt: expect.any(String) } });
    expect((await t.gql(REVOKE, { id: cert.id }, { token: await account() })).body.data.revokeCertificate.userErrors).toEqual([expect.objectContaining({ code: "NOT_FOUND" })]);

    const after = await fetchCrlUntil(t.url, (der) => listsSerial(der, cert.serialNumber));
    expect(after.equals(before)).toBe(false);
    const ca = await caPem();
    expect((await pki.verify(cert.pem, ca, before)).ok).toBe(true);
    const refused = await pki.verify(cert.pem, ca, after);
    expect(refused.ok).toBe(false);
    expect(refused.output).toMatch(/certificate revoked/);
    expect((await pki.verify(keep.pem, ca, after)).ok).toBe(true);
    const text = await pki.crlText(after);
    expect(text).toContain(cert.serialNumber.toUpperCase());
    expect(text).toMatch(/Next Update: /);

    const log = (await t.gql(AUDIT, { domainId: domain.id, action: "CERTIFICATE_REVOKED" }, { token })).body.data.auditLog.nodes;
    expect(log).toEqual([expect.objectContaining({ actor: expect.objectContaining({ type: "USER" }), message: expect.stringContaining(cert.serialNumber) })]);
  });

  it("revokes every certificate of a removed domain in the removal's transaction, audited with the reason", async () => {
    const token = await account();
    const domain = await verifiedDomain(token);
    const certs = [
      (await issue(token, domain.id, await pki.csr(await pki.key("ec")))).certificate,
      (await issue(token, domain.id, await pki.csr(await pki.key("rsa2048")))).certificate,
    ];
    expect((await t.gql(REMOVE, { id: domain.id }, { token })).body.data.removeDomain.userErrors).toEqual([]);
    const listed = (await t.gql(`{ certificates { nodes { id revocationReason revokedAt domain { id } } } }`, {}, { token })).body.data.certificates.nodes;
    expect(listed).toEqual(certs.reverse().map((c) => ({ id: c.id, revocationReason: "DOMAIN_REMOVED", revokedAt: expect.any(String), domain: null })));
    const log = (await t.gql(AUDIT, { domainId: domain.id }, { token })).body.data.auditLog.nodes;
    expect(log.slice(0, 3).map((e: any) => e.action)).toEqual(["CERTIFICATE_REVOKED", "CERTIFICATE_REVOKED", "DOMAIN_REMOVED"]);
    const list = await fetchCrlUntil(t.url, (der) => certs.every((c) => listsSerial(der, c.serialNumber)));
    for (const c of certs) expect((await pki.verify(c.pem, await caPem(), list)).output).toMatch(/certificate revoked/);
  });

  it("serves a CRL that includes revocations made by another instance sharing the database", async () => {
    const token = await account();
    const domain = await verifiedDomain(token);
    const cert = (await issue(token, domain.id, await pki.csr(await pki.key("ec")))).certificate;
    expect((await pki.verify(cert.pem, await caPem(), await crl())).ok).toBe(true);
    const other = await startTestApp({ db, database: t.database, overrides: { verifier }, env: { DEV_CREDENTIALS_DIR: devDir } });
    try {
      expect((await other.gql(REVOKE, { id: cert.id }, { token })).body.data.revokeCertificate.userErrors).toEqual([]);
    } finally {
      await other.close();
    }
    const after = await fetchCrlUntil(t.url, (der) => listsSerial(der, cert.serialNumber));
    expect((await pki.verify(cert.pem, await caPem(), after)).output).toMatch(/certificate revoked/);
  });
});

describe("the CA", () => {
  let pki: PkiWorkspace;
  beforeAll(() => (pki = createPkiWorkspace()));
  afterAll(() => pki.cleanup());

  const caFiles = async () => {
    const key = await pki.key("ec384");
    const cert = await pki.selfSigned(key, "Operator Root CA", { ca: true });
    return { key, cert };
  };

  it("signs with an operator's CA from CA_CERT_FILE and CA_KEY_FILE", async () => {
    const { key, cert } = await caFiles();
    const verifier = new ScriptedVerifier(systemClock);
    const t = await startTestApp({ overrides: { verifier }, env: { CA_CERT_FILE: cert, CA_KEY_FILE: key } });
    try {
      const { domain } = (await t.gql(CLAIM, { name: "operator-ca.example.com" })).body.data.claimDomain;
      verifier.publish("operator-ca.example.com", [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
      await t.gql(VERIFY, { id: domain.id });
      const result = (await t.gql(ISSUE, { domainId: domain.id, csr: await pki.csr(await pki.key("ec")) })).body.data.issueCertificate;
      expect(result.chainPem.trim()).toBe(fs.readFileSync(cert, "utf8").trim());
      const crl = Buffer.from(await (await fetch(`${t.url}/crl`)).arrayBuffer());
      expect(await pki.verify(result.certificate.pem, fs.readFileSync(cert, "utf8"), crl)).toMatchObject({ ok: true });
    } finally {
      await t.close();
    }
  });

  it("refuses to start with a key that is not the certificate's", async () => {
    const { cert } = await caFiles();
    const otherKey = await pki.key("ec384");
    const database = await createScratchDatabase("sqlite");
    try {
      const config = loadConfig({ NODE_ENV: "production", DATABASE_URL: database.url, JWT_SECRET: "x".repeat(40), PUBLIC_URL: "https://dnsproof.test", CA_CERT_FILE: cert, CA_KEY_FILE: otherKey, SCHEDULER_ENABLED: "false", LOG_LEVEL: "silent" });
      const started = createApp(config);
      await expect(started).rejects.toThrow(ConfigError);
      await expect(started).rejects.toThrow(/CA_KEY_FILE .* does not match the certificate in CA_CERT_FILE/);
    } finally {
      await database.drop();
    }
  });

  it("keeps issuing off in production until a CA is configured, with an error that says so", async () => {
    const t = await startTestApp({ env: { NODE_ENV: "production" } });
    try {
      const { domain } = (await t.gql(CLAIM, { name: "no-ca.example.com" })).body.data.claimDomain;
      const result = await t.gql(ISSUE, { domainId: domain.id, csr: "x" });
      expect(result.body.errors).toEqual([expect.objectContaining({ extensions: { code: "NOT_CONFIGURED" }, message: expect.stringContaining("CA_CERT_FILE") })]);
      expect((await fetch(`${t.url}/crl`)).status).toBe(404);
      expect((await fetch(`${t.url}/ca.pem`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it("keeps a development CA under DEV_CREDENTIALS_DIR across restarts", async () => {
    const devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-dev-ca-"));
    try {
      const first = await startTestApp({ env: { DEV_CREDENTIALS_DIR: devDir } });
      const pem = await (await fetch(`${first.url}/ca.pem`)).text();
      await first.close();
      expect(fs.statSync(path.join(devDir, ".dev-ca.pem")).mode & 0o777).toBe(0o600);
      const second = await startTestApp({ env: { DEV_CREDENTIALS_DIR: devDir } });
      expect(await (await fetch(`${second.url}/ca.pem`)).text()).toBe(pem);
      await second.close();
      expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(pem).not.toMatch(/PRIVATE/);
    } finally {
      fs.rmSync(devDir, { recursive: true, force: true });
    }
  });

  it("gives two servers starting at once on a fresh DEV_CREDENTIALS_DIR the same development CA", async () => {
    const devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-dev-ca-"));
    const apps = await Promise.all([startTestApp({ env: { DEV_CREDENTIALS_DIR: devDir } }), startTestApp({ env: { DEV_CREDENTIALS_DIR: devDir } })]);
    try {
      const [a, b] = await Promise.all(apps.map(async (t) => (await fetch(`${t.url}/ca.pem`)).text()));
      expect(a).toBe(b);
      expect(fs.readdirSync(devDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    } finally {
      await Promise.all(apps.map((t) => t.close()));
      fs.rmSync(devDir, { recursive: true, force: true });
    }
  });
});
