/**
 * Replays the review's finding: an API key or a client certificate minted ownership attestations,
 * which are never revoked, so a leaked credential kept proving the domain after its own
 * revocation. Only people (and admins) issue attestations now, as only they issue certificates.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { systemClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";
import { PkiWorkspace, createPkiWorkspace } from "../support/pki";

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`;
const ATTEST = `mutation($domainId: ID!) { issueDomainAttestation(input: { domainId: $domainId, audience: "https://rp.example" }) { attestation userErrors { code } } }`;
const CREATE_KEY = `mutation($d: ID) { createApiKey(input: { name: "ci", domainId: $d }) { apiKey { id } secret } }`;
const ISSUE = `mutation($domainId: ID!, $csr: String!) { issueCertificate(input: { domainId: $domainId, csr: $csr }) { certificate { id pem } userErrors { code } } }`;
const ISSUED_ENTRIES = `query($d: ID) { auditLog(domainId: $d, action: DOMAIN_ATTESTATION_ISSUED) { totalCount } }`;

describe.each(DATABASE_FLAVORS)("attestations minted by issued credentials on %s", (db) => {
  let t: TestApp;
  let pki: PkiWorkspace;
  let devDir: string;
  const verifier = new ScriptedVerifier(systemClock);
  let seq = 0;

  const verifiedDomain = async (token: string) => {
    const name = `attest-${++seq}-${db}.example.com`;
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    verifier.publish(name, [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    expect((await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain.verified).toBe(true);
    return domain.id as string;
  };
  const issuedCount = async (token: string, domainId: string) => (await t.gql(ISSUED_ENTRIES, { d: domainId }, { token })).body.data.auditLog.totalCount;

  beforeAll(async () => {
    pki = createPkiWorkspace();
    devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-attest-"));
    // The header path stands for a TLS-terminating proxy on loopback, where the test runs.
    t = await startTestApp({ db, overrides: { verifier }, env: { DEV_CREDENTIALS_DIR: devDir, TRUST_PROXY: "127.0.0.1/32", TLS_CLIENT_CERT_HEADER: "x-client-cert" } });
  });
  afterAll(async () => {
    await t?.close();
    pki?.cleanup();
    fs.rmSync(devDir, { recursive: true, force: true });
  });

  it.each([
    ["an account-wide API key", false],
    ["an API key scoped to the domain", true],
  ])("refuses %s with FORBIDDEN and writes nothing", async (_label, scoped) => {
    const token = await t.token(`attest-key-${db}-${++seq}`);
    const domainId = await verifiedDomain(token);
    const { secret } = (await t.gql(CREATE_KEY, { d: scoped ? domainId : null }, { token })).body.data.createApiKey;
    const byKey = await t.gql(ATTEST, { domainId }, { token: secret });
    expect(byKey.body.data?.issueDomainAttestation ?? null).toBeNull();
    expect(byKey.body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" }, message: expect.stringContaining("sign in as a person") })]);
    expect(await issuedCount(token, domainId)).toBe(0);
    // The person who holds the account still gets one.
    expect((await t.gql(ATTEST, { domainId }, { token })).body.data.issueDomainAttestation).toEqual({ attestation: expect.any(String), userErrors: [] });
    expect(await issuedCount(token, domainId)).toBe(1);
  });

  it("refuses a client certificate with FORBIDDEN and writes nothing", async () => {
    const account = `attest-cert-${db}-${++seq}`;
    const token = await t.token(account);
    const domainId = await verifiedDomain(token);
    const issued = (await t.gql(ISSUE, { domainId, csr: await pki.csr(await pki.key("ec")) }, { token })).body.data.issueCertificate;
    expect(issued.userErrors).toEqual([]);
    const headers = { "x-client-cert": encodeURIComponent(issued.certificate.pem) };
    // The certificate does authenticate: the refusal is about what it may do, not who it is.
    expect((await t.gql(`{ viewer { accountId } }`, {}, { token: null, headers })).body.data.viewer.accountId).toBe(account);
    const byCertificate = await t.gql(ATTEST, { domainId }, { token: null, headers });
    expect(byCertificate.body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);
    expect(await issuedCount(token, domainId)).toBe(0);
  });
});
