/**
 * Claim scope through the real server, the real verifier and bind9 on loopback: SUBTREE records
 * at their own host, inheritance under a VERIFIED SUBTREE domain (without a DNS query), the
 * children following their parent when it is revoked, carve-outs for other accounts' names,
 * wildcard certificates checked with openssl, and API keys scoped to a subtree.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startBind9, type Bind9Server } from "../../support/bind9";
import { startCountingDnsProxy, type CountingDnsProxy } from "../../support/counting-dns-proxy";
import { DATABASE_FLAVORS } from "../../support/databases";
import { TestApp, startTestApp } from "../../support/test-app";
import { createPkiWorkspace, type PkiWorkspace } from "../../support/pki";
import { ManualClock } from "../../../src/shared/clock";

const ZONE = "scope.test";
const DOMAIN = `id name scope status txtRecord { host value } cnameRecord { host value } inheritedFrom { id name } lastCheck { outcome method message servers { server } }`;
const CLAIM = `mutation($name: String!, $scope: DomainScope) { claimDomain(input: { name: $name, scope: $scope }) { domain { ${DOMAIN} } userErrors { code message } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified domain { ${DOMAIN} } check { outcome method message hints foundValues } userErrors { code } } }`;
const DOMAIN_BY_ID = `query($id: ID!) { domain(id: $id) { ${DOMAIN} } }`;
const AUDIT = `query($domainId: ID, $action: AuditAction) { auditLog(domainId: $domainId, action: $action) { nodes { action message reason check { method } } } }`;
const ISSUE = `mutation($domainId: ID!, $csr: String!, $wildcard: Boolean) { issueCertificate(input: { domainId: $domainId, csr: $csr, wildcard: $wildcard }) { certificate { pem } userErrors { code field message } } }`;
const CREATE_KEY = `mutation($domainId: ID) { createApiKey(input: { name: "tree key", domainId: $domainId }) { secret userErrors { code message } } }`;
const ATTEST = `mutation($domainId: ID!) { issueDomainAttestation(input: { domainId: $domainId }) { attestation userErrors { code } } }`;
const HOUR = 3600_000;
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));

let dns: Bind9Server;
let proxy: CountingDnsProxy;
beforeAll(async () => {
  dns = await startBind9({ zones: [{ name: ZONE }] });
  proxy = await startCountingDnsProxy(["127.0.0.1"], dns.server);
});
afterAll(async () => {
  await Promise.all([proxy?.stop(), dns?.stop()]);
});

let seq = 0;
const fresh = (label: string) => `${label}-${process.pid}-${++seq}.${ZONE}`;

describe.each(DATABASE_FLAVORS)("claim scope end to end on %s", (db) => {
  let t: TestApp;
  let pki: PkiWorkspace;
  let devDir: string;
  const clock = new ManualClock(new Date());
  beforeAll(async () => {
    pki = createPkiWorkspace();
    devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-scope-ca-"));
    t = await startTestApp({
      db,
      overrides: { clock },
      env: { DNS_SERVERS: `127.0.0.1:${proxy.port}`, DNS_TIMEOUT_MS: "1500", MAX_DOMAINS_PER_ACCOUNT: "50", DEV_CREDENTIALS_DIR: devDir, PUBLIC_URL: "https://dnsproof.test" },
    });
  });
  afterAll(async () => {
    await t?.close();
    pki?.cleanup();
    if (devDir) fs.rmSync(devDir, { recursive: true, force: true });
  });

  const claim = async (name: string, token: string, scope?: "EXACT" | "SUBTREE") => {
    const result = (await t.gql(CLAIM, { name, scope }, { token })).body.data.claimDomain;
    expect(result.userErrors).toEqual([]);
    return result.domain;
  };
  const verify = async (id: string, token: string) => (await t.gql(VERIFY, { id }, { token })).body.data.verifyDomain;
  const read = async (id: string, token: string) => (await t.gql(DOMAIN_BY_ID, { id }, { token })).body.data.domain;
  const publish = (record: { host: string; value: string }) => dns.update(ZONE, [`update add ${record.host}. 60 TXT "${record.value}"`]);
  const verifiedByRecord = async (name: string, token: string, scope?: "EXACT" | "SUBTREE") => {
    const domain = await claim(name, token, scope);
    await publish(domain.txtRecord);
    const result = await verify(domain.id, token);
    expect(result.check).toMatchObject({ outcome: "VERIFIED", method: "TXT" });
    return result.domain;
  };

  it("puts a SUBTREE claim's record at _dnsproof-subtree.<name>, and a record at the other scope's host neither verifies nor goes unmentioned", async () => {
    const token = await t.token(`scope-hosts-${db}`);
    const tree = await claim(fresh("tree"), token, "SUBTREE");
    expect(tree).toMatchObject({ scope: "SUBTREE", txtRecord: { host: `_dnsproof-subtree.${tree.name}` }, cnameRecord: { host: `_dnsproof-subtree.${tree.name}` } });
    await publish({ host: `_dnsproof-verify.${tree.name}`, value: tree.txtRecord.value });
    const wrongForTree = await verify(tree.id, token);
    expect(wrongForTree).toMatchObject({ verified: false, check: { outcome: "RECORD_NOT_FOUND" } });
    expect(wrongForTree.check.hints).toEqual(expect.arrayContaining([expect.stringContaining(`published at _dnsproof-verify.${tree.name}, which only verifies the name alone`)]));

    const exact = await claim(fresh("exact"), token);
    expect(exact).toMatchObject({ scope: "EXACT", txtRecord: { host: `_dnsproof-verify.${exact.name}` } });
    await publish({ host: `_dnsproof-subtree.${exact.name}`, value: exact.txtRecord.value });
    const wrongForExact = await verify(exact.id, token);
    expect(wrongForExact).toMatchObject({ verified: false, check: { outcome: "RECORD_NOT_FOUND" } });
    expect(wrongForExact.check.hints).toEqual(expect.arrayContaining([expect.stringContaining(`published at _dnsproof-subtree.${exact.name}, which only verifies the whole tree`)]));

    await publish(tree.txtRecord);
    expect(await verify(tree.id, token)).toMatchObject({ verified: true, check: { outcome: "VERIFIED", method: "TXT" }, domain: { scope: "SUBTREE" } });
  });

  it("verifies the account's names under a VERIFIED SUBTREE domain without a DNS query, carves out other accounts' names, and revokes inherited names with their parent", async () => {
    const [a, b] = [await t.token(`tree-a-${db}`), await t.token(`tree-b-${db}`)];
    const parentName = fresh("parent");
    // Another account verified a name under the tree first: it stays that account's.
    const theirs = await verifiedByRecord(`theirs.${parentName}`, b);
    const early = await claim(`early.${parentName}`, a);
    expect(early.status).toBe("PENDING");

    const parent = await verifiedByRecord(parentName, a, "SUBTREE");
    expect(parent.lastCheck.message).toContain("1 name under it is verified by another account");
    expect(parent.lastCheck.message).not.toContain(theirs.id);
    // A claim made before the parent verified is covered by the parent's verification.
    expect(await read(early.id, a)).toMatchObject({ status: "VERIFIED", inheritedFrom: { id: parent.id }, lastCheck: { method: "INHERITED" } });

    proxy.reset();
    const child = await claim(`app.${parentName}`, a);
    const grandchild = await claim(`api.eu.${parentName}`, a);
    expect(proxy.count()).toBe(0);
    for (const inherited of [child, grandchild]) {
      expect(inherited).toMatchObject({ status: "VERIFIED", inheritedFrom: { id: parent.id, name: parentName }, lastCheck: { outcome: "VERIFIED", method: "INHERITED", servers: [] } });
    }
    const [claimedEntry] = (await t.gql(AUDIT, { domainId: child.id, action: "VERIFICATION_SUCCEEDED" }, { token: a })).body.data.auditLog.nodes;
    expect(claimedEntry).toMatchObject({ check: { method: "INHERITED" }, message: expect.stringContaining(`${parentName} (domain ${parent.id})`) });

    // The other account's name is carved out: the account's own claim of it is not inherited.
    const carved = await claim(`theirs.${parentName}`, a);
    expect(carved).toMatchObject({ status: "PENDING", inheritedFrom: null });

    // A child verified by a record of its own no longer depends on the parent.
    const own = await claim(`own.${parentName}`, a);
    expect(own.inheritedFrom).toMatchObject({ id: parent.id });
    await dns.update(ZONE, [`update add _dnsproof-verify.${own.name}. 60 TXT "${own.txtRecord.value}"`]);
    expect(await verify(own.id, a)).toMatchObject({ check: { method: "TXT" }, domain: { status: "VERIFIED", inheritedFrom: null } });

    // The parent's record goes: the grace period runs, then the parent and its inherited names are revoked together.
    await dns.update(ZONE, [`update delete ${parent.txtRecord.host}. TXT`]);
    expect(await verify(parent.id, a)).toMatchObject({ check: { outcome: "RECORD_NOT_FOUND" }, domain: { status: "VERIFIED" } });
    clock.advance(73 * HOUR);
    expect((await verify(parent.id, a)).domain.status).toBe("REVOKED");
    for (const inherited of [child, grandchild, early]) {
      expect(await read(inherited.id, a)).toMatchObject({ status: "REVOKED", inheritedFrom: null });
      const revoked = (await t.gql(AUDIT, { domainId: inherited.id, action: "DOMAIN_REVOKED" }, { token: a })).body.data.auditLog.nodes;
      expect(revoked).toEqual([expect.objectContaining({ reason: "SUBTREE_PARENT_LOST", message: expect.stringContaining(parentName) })]);
    }
    expect(await read(own.id, a)).toMatchObject({ status: "VERIFIED" });
    expect(await read(theirs.id, b)).toMatchObject({ status: "VERIFIED" });
  });

  it("verifies a pending child through its parent on verifyDomain, without asking DNS", async () => {
    const token = await t.token(`late-${db}`);
    const parentName = fresh("late");
    const child = await claim(`www.${parentName}`, token);
    const parentClaim = await claim(parentName, token, "SUBTREE");
    // Only a record of the parent verifies the parent: adoption happens when it does.
    await publish(parentClaim.txtRecord);
    const parent = (await verify(parentClaim.id, token)).domain;
    expect(await read(child.id, token)).toMatchObject({ status: "VERIFIED", inheritedFrom: { id: parent.id } });
    const removed = await t.gql(`mutation($id: ID!) { removeDomain(input: { id: $id }) { removedDomainId } }`, { id: parent.id }, { token });
    expect(removed.body.data.removeDomain.removedDomainId).toBe(parent.id);
    expect(await read(child.id, token)).toMatchObject({ status: "REVOKED" });
  });

  it("issues a wildcard certificate only for a VERIFIED SUBTREE domain, with *.<name> in the SAN as openssl reads it", async () => {
    const token = await t.token(`wildcard-${db}`);
    const tree = await verifiedByRecord(fresh("wild"), token, "SUBTREE");
    const exact = await verifiedByRecord(fresh("narrow"), token);
    const csr = await pki.csr(await pki.key("ec"));
    const issued = (await t.gql(ISSUE, { domainId: tree.id, csr, wildcard: true }, { token })).body.data.issueCertificate;
    expect(issued.userErrors).toEqual([]);
    const text = await pki.text(issued.certificate.pem);
    expect(text).toContain(`DNS:${tree.name}, DNS:*.${tree.name}`);
    const refused = (await t.gql(ISSUE, { domainId: exact.id, csr, wildcard: true }, { token })).body.data.issueCertificate;
    expect(refused).toMatchObject({ certificate: null, userErrors: [{ code: "SCOPE_TOO_NARROW", field: ["input", "wildcard"] }] });
    const plain = (await t.gql(ISSUE, { domainId: tree.id, csr }, { token })).body.data.issueCertificate;
    expect(await pki.text(plain.certificate.pem)).not.toContain("DNS:*.");
  });

  it("lets an API key scoped to a SUBTREE domain act on the names under it, and nothing else", async () => {
    const token = await t.token(`tree-key-${db}`);
    const tree = await verifiedByRecord(fresh("keyed"), token, "SUBTREE");
    const elsewhere = await claim(fresh("elsewhere"), token);
    const { secret } = (await t.gql(CREATE_KEY, { domainId: tree.id }, { token })).body.data.createApiKey;
    const byKey = (await t.gql(CLAIM, { name: `svc.${tree.name}` }, { token: secret })).body.data.claimDomain;
    expect(byKey).toMatchObject({ userErrors: [], domain: { status: "VERIFIED", inheritedFrom: { id: tree.id } } });
    expect(await read(byKey.domain.id, secret)).toMatchObject({ name: `svc.${tree.name}` });
    expect(await read(elsewhere.id, secret)).toBeNull();
    const listed = (await t.gql(`{ domains(first: 10) { nodes { name } } }`, {}, { token: secret })).body.data.domains.nodes.map((d: { name: string }) => d.name);
    expect(listed.sort()).toEqual([tree.name, `svc.${tree.name}`].sort());
    expect((await t.gql(`{ viewer { domainCount } }`, {}, { token: secret })).body.data.viewer.domainCount).toBe(2);
    const outside = await t.gql(CLAIM, { name: fresh("outside") }, { token: secret });
    expect(outside.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("says the scope in attestations, and the parent an inherited name is verified through", async () => {
    const token = await t.token(`attest-${db}`);
    const tree = await verifiedByRecord(fresh("attested"), token, "SUBTREE");
    const child = await claim(`shop.${tree.name}`, token);
    const attest = async (id: string) => claimsOf((await t.gql(ATTEST, { domainId: id }, { token })).body.data.issueDomainAttestation.attestation);
    expect(await attest(tree.id)).toMatchObject({ sub: tree.name, scope: "SUBTREE", verification_method: "TXT" });
    const inherited = await attest(child.id);
    expect(inherited).toMatchObject({ sub: child.name, scope: "EXACT", verification_method: "INHERITED" });
    expect(inherited.inherited_from).toBe(tree.id);
  });
});
