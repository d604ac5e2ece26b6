/**
 * Replays the review's certificate flood: nothing capped the certificates of a domain (40 were
 * issued for one), and every one of them lengthens the CRL once revoked. A domain now holds at
 * most MAX_CERTIFICATES_PER_DOMAIN active ones, answered like the other per-account limits.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { systemClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";
import { PkiWorkspace, createPkiWorkspace } from "../support/pki";

const LIMIT = 3;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`;
const ISSUE_FIELDS = `certificate { id } userErrors { code field message }`;
const ISSUE = `mutation($domainId: ID!, $csr: String!) { issueCertificate(input: { domainId: $domainId, csr: $csr }) { ${ISSUE_FIELDS} } }`;
const REVOKE = `mutation($id: ID!) { revokeCertificate(input: { id: $id }) { userErrors { code } } }`;
const COUNT = `query($d: ID) { certificates(domainId: $d) { totalCount } auditLog(domainId: $d, action: CERTIFICATE_ISSUED) { totalCount } }`;

type IssueResult = { certificate: { id: string } | null; userErrors: { code: string; field: string[]; message: string }[] };

describe.each(DATABASE_FLAVORS)("certificate limits on %s", (db) => {
  let t: TestApp;
  let pki: PkiWorkspace;
  let devDir: string;
  let csr: string;
  const verifier = new ScriptedVerifier(systemClock);
  let seq = 0;

  const verifiedDomain = async (token: string) => {
    const name = `limit-${++seq}-${db}.example.com`;
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    verifier.publish(name, [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    expect((await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain.verified).toBe(true);
    return { id: domain.id as string, name };
  };
  const refusal = (name: string) => [
    { code: "CERTIFICATE_LIMIT_REACHED", field: ["input", "domainId"], message: `${name} has ${LIMIT} of ${LIMIT} active certificates; revoke one before issuing another.` },
  ];

  beforeAll(async () => {
    pki = createPkiWorkspace();
    csr = await pki.csr(await pki.key("ec"));
    devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-cert-limit-"));
    t = await startTestApp({ db, overrides: { verifier }, env: { DEV_CREDENTIALS_DIR: devDir, MAX_CERTIFICATES_PER_DOMAIN: String(LIMIT) } });
  });
  afterAll(async () => {
    await t?.close();
    pki?.cleanup();
    fs.rmSync(devDir, { recursive: true, force: true });
  });

  it("answers CERTIFICATE_LIMIT_REACHED past MAX_CERTIFICATES_PER_DOMAIN, aliases of one request included", async () => {
    const token = await t.token(`cert-limit-${db}-${++seq}`);
    const domain = await verifiedDomain(token);
    const aliases = Array.from({ length: 8 }, (_, i) => `c${i}: issueCertificate(input: { domainId: $domainId, csr: $csr }) { ${ISSUE_FIELDS} }`);
    const response = await t.gql(`mutation($domainId: ID!, $csr: String!) { ${aliases.join(" ")} }`, { domainId: domain.id, csr }, { token });
    const results = Object.values(response.body.data) as IssueResult[];
    expect(results.filter((r) => r.certificate)).toHaveLength(LIMIT);
    expect(results.filter((r) => !r.certificate).map((r) => r.userErrors)).toEqual(Array(8 - LIMIT).fill(refusal(domain.name)));
    expect((await t.gql(COUNT, { d: domain.id }, { token })).body.data).toEqual({ certificates: { totalCount: LIMIT }, auditLog: { totalCount: LIMIT } });

    // A revoked certificate no longer counts; another domain of the account has a budget of its own.
    const first = results.find((r) => r.certificate)!.certificate!.id;
    expect((await t.gql(REVOKE, { id: first }, { token })).body.data.revokeCertificate.userErrors).toEqual([]);
    const again = (await t.gql(ISSUE, { domainId: domain.id, csr }, { token })).body.data.issueCertificate as IssueResult;
    expect(again.userErrors).toEqual([]);
    expect(((await t.gql(ISSUE, { domainId: domain.id, csr }, { token })).body.data.issueCertificate as IssueResult).userErrors).toEqual(refusal(domain.name));
    const other = await verifiedDomain(token);
    expect(((await t.gql(ISSUE, { domainId: other.id, csr }, { token })).body.data.issueCertificate as IssueResult).userErrors).toEqual([]);
  });

  it("holds the limit for concurrent requests", async () => {
    const token = await t.token(`cert-race-${db}-${++seq}`);
    const domain = await verifiedDomain(token);
    const results = await Promise.all(Array.from({ length: 10 }, () => t.gql(ISSUE, { domainId: domain.id, csr }, { token })));
    const payloads = results.map((r) => r.body.data.issueCertificate as IssueResult);
    expect(payloads.filter((p) => p.certificate)).toHaveLength(LIMIT);
    expect(payloads.filter((p) => p.userErrors[0]?.code === "CERTIFICATE_LIMIT_REACHED")).toHaveLength(10 - LIMIT);
    expect((await t.gql(COUNT, { d: domain.id }, { token })).body.data.certificates.totalCount).toBe(LIMIT);
  });
});
