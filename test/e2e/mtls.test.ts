import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ManualClock, systemClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";
import { PkiWorkspace, createPkiWorkspace } from "../support/pki";

/** The mutual-TLS port, called with curl: which client certificates authenticate, as whom, and which do not. */
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`;
const ISSUE = `mutation($domainId: ID!, $csr: String!) { issueCertificate(input: { domainId: $domainId, csr: $csr }) { certificate { id pem } userErrors { code } } }`;
const WHO = `{ viewer { accountId userId } domains { nodes { id name } } }`;

describe.each(DATABASE_FLAVORS)("mutual TLS on %s", (db) => {
  let t: TestApp;
  let tlsUrl: string;
  let pki: PkiWorkspace;
  let server: { cert: string; key: string };
  let devDir: string;
  const verifier = new ScriptedVerifier(systemClock);
  let seq = 0;

  /** An account with a VERIFIED domain and a certificate for it: the files curl presents. */
  const holder = async (label: string) => {
    const account = `mtls-${db}-${label}-${++seq}`;
    const token = await t.token(account);
    const name = `${label}-${seq}-${db}.example.com`;
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    verifier.publish(name, [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    expect((await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain.verified).toBe(true);
    const key = await pki.key("ec");
    const issued = (await t.gql(ISSUE, { domainId: domain.id, csr: await pki.csr(key) }, { token })).body.data.issueCertificate;
    expect(issued.userErrors).toEqual([]);
    return { account, token, name, domainId: domain.id as string, key, cert: pki.write("client.pem", issued.certificate.pem), certificateId: issued.certificate.id as string };
  };
  const call = (body: unknown, options: { cert?: string; key?: string; token?: string } = {}) =>
    pki.curl(`${tlsUrl}/graphql`, { serverCert: server.cert, body, ...options });
  const query = (q: string, variables: Record<string, unknown> = {}, options: { cert?: string; key?: string; token?: string } = {}) => call({ query: q, variables }, options);

  beforeAll(async () => {
    pki = createPkiWorkspace();
    server = await pki.serverCertificate();
    devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-mtls-"));
    t = await startTestApp({ db, overrides: { verifier }, env: { DEV_CREDENTIALS_DIR: devDir, TLS_PORT: "0", TLS_CERT_FILE: server.cert, TLS_KEY_FILE: server.key } });
    tlsUrl = await t.app.listenTls(0, "127.0.0.1");
  });
  afterAll(async () => {
    await t?.close();
    pki?.cleanup();
    fs.rmSync(devDir, { recursive: true, force: true });
  });

  it("authenticates a valid certificate as its domain alone, audited as actor CERTIFICATE", async () => {
    const h = await holder("valid");
    const other = (await t.gql(CLAIM, { name: `other-${seq}-${db}.example.com` }, { token: h.token })).body.data.claimDomain.domain;
    const who = await query(WHO, {}, { cert: h.cert, key: h.key });
    expect(who.status).toBe(200);
    expect(who.body.data).toEqual({ viewer: { accountId: h.account, userId: null }, domains: { nodes: [{ id: h.domainId, name: h.name }] } });
    expect((await query(`query($id: ID!) { domain(id: $id) { id } }`, { id: other.id }, { cert: h.cert, key: h.key })).body.data.domain).toBeNull();

    expect((await query(VERIFY, { id: h.domainId }, { cert: h.cert, key: h.key })).body.data.verifyDomain.verified).toBe(true);
    const log = (await t.gql(`query($d: ID) { auditLog(domainId: $d, action: VERIFICATION_SUCCEEDED) { nodes { actor { type id } } } }`, { d: h.domainId }, { token: h.token })).body.data.auditLog.nodes;
    expect(log[0].actor).toEqual({ type: "CERTIFICATE", id: h.certificateId });
  });

  it("lets a certificate mint no credentials: no certificates, no API keys", async () => {
    const h = await holder("mint");
    const csr = await pki.csr(await pki.key("ec"));
    const issued = await query(ISSUE, { domainId: h.domainId, csr }, { cert: h.cert, key: h.key });
    expect(issued.body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);
    const key = await query(`mutation { createApiKey(input: { name: "escalate" }) { secret } }`, {}, { cert: h.cert, key: h.key });
    expect(key.body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);
  });

  it("keeps bearer tokens working on the TLS port, and refuses a call with neither", async () => {
    const token = await t.token(`mtls-bearer-${db}`);
    expect((await query(`{ viewer { accountId } }`, {}, { token })).body.data.viewer.accountId).toBe(`mtls-bearer-${db}`);
    const anonymous = await query(`{ viewer { accountId } }`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it("authenticates nothing with a self-signed certificate naming the domain", async () => {
    const h = await holder("impostor");
    const key = await pki.key("ec");
    const impostor = await pki.selfSigned(key, h.name);
    const result = await query(WHO, {}, { cert: impostor, key });
    expect(result.status).toBe(401);
    expect(result.body.errors[0].message).toMatch(/^The client certificate was not issued by this server\./);
  });

  it("refuses a revoked certificate at once", async () => {
    const h = await holder("revoked");
    expect((await query(WHO, {}, { cert: h.cert, key: h.key })).status).toBe(200);
    await t.gql(`mutation($id: ID!) { revokeCertificate(input: { id: $id }) { userErrors { code } } }`, { id: h.certificateId }, { token: h.token });
    const result = await query(WHO, {}, { cert: h.cert, key: h.key });
    expect(result.status).toBe(401);
    expect(result.body.errors[0].message).toMatch(/^The client certificate has been revoked\./);
  });

  it("gives another account's certificate that account's domain, and nothing of this one's", async () => {
    const mine = await holder("mine");
    const theirs = await holder("theirs");
    const result = await query(`query($id: ID!) { viewer { accountId } domain(id: $id) { id } certificates { nodes { id } } }`, { id: mine.domainId }, { cert: theirs.cert, key: theirs.key });
    expect(result.body.data).toEqual({ viewer: { accountId: theirs.account }, domain: null, certificates: { nodes: [{ id: theirs.certificateId }] } });
    const revoke = await query(`mutation($id: ID!) { revokeCertificate(input: { id: $id }) { userErrors { code } } }`, { id: mine.certificateId }, { cert: theirs.cert, key: theirs.key });
    expect(revoke.body.data.revokeCertificate.userErrors).toEqual([{ code: "NOT_FOUND" }]);
  });

  it("refuses the certificate of a removed domain", async () => {
    const h = await holder("removed");
    await t.gql(`mutation($id: ID!) { removeDomain(input: { id: $id }) { removedDomainId } }`, { id: h.domainId }, { token: h.token });
    const result = await query(WHO, {}, { cert: h.cert, key: h.key });
    expect(result.status).toBe(401);
    expect(result.body.errors[0].message).toMatch(/^The client certificate has been revoked\./);
  });
});

describe("the TLS port's own certificate", () => {
  it("stops start-up when its files cannot be read, naming the variable", async () => {
    const database = await createScratchDatabase("sqlite");
    try {
      const started = startTestApp({ database, env: { TLS_PORT: "0", TLS_CERT_FILE: "/nonexistent/server.pem", TLS_KEY_FILE: "/nonexistent/server.key" } });
      await expect(started).rejects.toThrow(/TLS_CERT_FILE \(\/nonexistent\/server.pem\) cannot be read/);
    } finally {
      await database.drop();
    }
  });
});

describe("client certificates forwarded by a TLS-terminating proxy", () => {
  const clock = new ManualClock(new Date());
  const verifier = new ScriptedVerifier(clock);
  let pki: PkiWorkspace;
  let devDir: string;
  beforeAll(() => {
    pki = createPkiWorkspace();
    devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-proxy-"));
  });
  afterAll(() => {
    pki.cleanup();
    fs.rmSync(devDir, { recursive: true, force: true });
  });

  const withCertificate = async (t: TestApp) => {
    const { domain } = (await t.gql(CLAIM, { name: "proxied.example.com" })).body.data.claimDomain;
    verifier.publish("proxied.example.com", [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    await t.gql(VERIFY, { id: domain.id });
    const issued = (await t.gql(ISSUE, { domainId: domain.id, csr: await pki.csr(await pki.key("ec")) })).body.data.issueCertificate;
    return issued.certificate.pem as string;
  };
  const viewerWith = (t: TestApp, pem: string) => t.gql(`{ viewer { accountId } }`, {}, { token: null, headers: { "x-client-cert": encodeURIComponent(pem) } });

  it("believes the header from a TRUST_PROXY hop, and checks the certificate's dates", async () => {
    const t = await startTestApp({ overrides: { clock, verifier }, env: { DEV_CREDENTIALS_DIR: devDir, TRUST_PROXY: "loopback", TLS_CLIENT_CERT_HEADER: "X-Client-Cert" } });
    try {
      const pem = await withCertificate(t);
      expect((await viewerWith(t, pem)).body.data.viewer.accountId).toBe("user-a");
      clock.advance(91 * 24 * 3600_000);
      const expired = await viewerWith(t, pem);
      expect(expired.status).toBe(401);
      expect(expired.body.errors![0].message).toMatch(/expired/);
    } finally {
      await t.close();
    }
  });

  it("ignores the header from anyone else", async () => {
    const t = await startTestApp({ overrides: { verifier }, env: { DEV_CREDENTIALS_DIR: devDir, TRUST_PROXY: "10.9.8.7", TLS_CLIENT_CERT_HEADER: "x-client-cert" } });
    try {
      const pem = await withCertificate(t);
      const result = await viewerWith(t, pem);
      expect(result.status).toBe(401);
      expect(result.body.errors![0].message).not.toMatch(/certificate/);
    } finally {
      await t.close();
    }
  });
});
