/**
 * Replays the review's CRL finding: after one ordinary revokeCertificate, one anonymous GET /crl
 * made the server rebuild the whole CRL while the request waited (22.7 s with 16,000
 * revocations). Requests are now answered from the last good CRL; a background loop rebuilds it,
 * one build at a time, at most every CRL_MIN_REBUILD_SECONDS, and a revocation appears within
 * CRL_MIN_REBUILD_SECONDS plus a build. A few thousand revocations are written straight into the
 * database. A build of them now takes about as long as answering a burst of requests, so the
 * proof that no request started or waited for one is the build counter and the bytes served,
 * not their timings (test/integration/crl-scale.test.ts watches /healthz during a long build).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { systemClock } from "../../src/shared/clock";
import { Certificate, CertificateRevocationReason } from "../../src/credentials/certificates/certificate.entity";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";
import { PkiWorkspace, createPkiWorkspace } from "../support/pki";

const SEEDED_REVOCATIONS = 3000;
const REFRESH_SECONDS = 4;
const MIN_REBUILD_SECONDS = 4;
const DAY = 24 * 3600_000;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`;
const ISSUE = `mutation($domainId: ID!, $csr: String!) { issueCertificate(input: { domainId: $domainId, csr: $csr }) { certificate { id serialNumber } userErrors { code } } }`;
const REVOKE = `mutation($id: ID!) { revokeCertificate(input: { id: $id }) { userErrors { code } } }`;

/** Revoked certificates of another account, written directly: what years of revocations leave behind. */
async function seedRevocations(t: TestApp, count: number): Promise<void> {
  const now = Date.now();
  const rows = Array.from({ length: count }, (_, i) => ({
    id: uuidv7(),
    accountId: "seeded-account",
    domainId: uuidv7(),
    domainName: `seeded-${i}.example.com`,
    serialNumber: `4${randomBytes(15).toString("hex")}`,
    fingerprintSha256: randomBytes(32).toString("hex"),
    pem: "(seeded)",
    notBefore: new Date(now - 10 * DAY),
    notAfter: new Date(now + 80 * DAY),
    revokedAt: new Date(now - DAY + i),
    revocationReason: CertificateRevocationReason.REVOKED_BY_OWNER,
    createdAt: new Date(now - 10 * DAY),
  }));
  for (let i = 0; i < rows.length; i += 250) await t.app.db.manager.insert(Certificate, rows.slice(i, i + 250));
}

/** GET /crl: the DER and how long the answer took. */
async function getCrl(url: string): Promise<{ status: number; der: Buffer; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/crl`);
  const der = Buffer.from(await response.arrayBuffer());
  return { status: response.status, der, ms: performance.now() - started };
}

/** A serial as it sits in the DER: the INTEGER's content bytes. */
const listed = (der: Buffer, serial: string) => der.includes(Buffer.from(serial, "hex"));

describe.each(DATABASE_FLAVORS)("CRL rebuilds on %s", (db) => {
  let t: TestApp;
  let pki: PkiWorkspace;
  let devDir: string;
  const verifier = new ScriptedVerifier(systemClock);

  beforeAll(async () => {
    pki = createPkiWorkspace();
    devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-crl-rebuilds-"));
    t = await startTestApp({ db, overrides: { verifier }, env: { DEV_CREDENTIALS_DIR: devDir, CRL_REFRESH_SECONDS: String(REFRESH_SECONDS), CRL_MIN_REBUILD_SECONDS: String(MIN_REBUILD_SECONDS) } });
    await seedRevocations(t, SEEDED_REVOCATIONS);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    pki?.cleanup();
    fs.rmSync(devDir, { recursive: true, force: true });
  });

  it("answers from the last good CRL while one background build at a time takes the revocation in", async () => {
    const token = await t.token(`crl-rebuild-${db}`);
    const name = `rebuild-${db}.example.com`;
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    verifier.publish(name, [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    expect((await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain.verified).toBe(true);
    const { certificate } = (await t.gql(ISSUE, { domainId: domain.id, csr: await pki.csr(await pki.key("ec")) }, { token })).body.data.issueCertificate;

    // The very first CRL is the one request that waits: there is nothing else to serve yet.
    const firstAt = Date.now();
    const first = await getCrl(t.url);
    expect(first.status).toBe(200);
    const buildMs = first.ms;
    const publisher = (await t.app.credentials.crl())!;
    const buildsBefore = publisher.stats?.().builds;

    // One ordinary revocation, then a burst of anonymous requests before the next build may start.
    expect((await t.gql(REVOKE, { id: certificate.id }, { token })).body.data.revokeCertificate.userErrors).toEqual([]);
    const revokedAt = Date.now();
    const burst = await Promise.all(Array.from({ length: 20 }, () => getCrl(t.url)));
    expect(burst.map((r) => r.status)).toEqual(Array(20).fill(200));
    // The last good CRL: none of these requests started or waited for a build.
    expect(burst.every((r) => r.der.equals(first.der))).toBe(true);
    expect(publisher.stats().builds).toBe(buildsBefore);

    // The revocation appears within the stated bound: CRL_MIN_REBUILD_SECONDS plus a build (and a margin for a loaded machine).
    const boundMs = MIN_REBUILD_SECONDS * 1000 + buildMs + 5000;
    let latest = burst[0];
    while (!listed(latest.der, certificate.serialNumber)) {
      if (Date.now() - revokedAt > boundMs) throw new Error(`the revocation was not in /crl after ${boundMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      latest = await getCrl(t.url);
    }
    expect(Date.now() - revokedAt).toBeLessThan(boundMs);
    const text = await pki.crlText(latest.der);
    expect(text).toContain(`Serial Number: ${certificate.serialNumber.toUpperCase()}`);
    expect((text.match(/Serial Number:/g) ?? []).length).toBe(SEEDED_REVOCATIONS + 1);
    // Builds are spaced: the one that took the revocation in started CRL_MIN_REBUILD_SECONDS after the first (timers may fire a few ms early).
    expect(Date.now() - firstAt).toBeGreaterThanOrEqual(MIN_REBUILD_SECONDS * 1000 - 50);

    const stats = publisher.stats();
    expect(stats.maxConcurrentBuilds).toBe(1);
    expect(stats.builds - buildsBefore).toBeGreaterThanOrEqual(1);
    expect(stats.builds - buildsBefore).toBeLessThanOrEqual(2);
    expect(stats.failures).toBe(0);
  }, 60_000);
});
