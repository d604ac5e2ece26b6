/**
 * Replays the review's finding: two instances sharing a database published two different CRLs
 * with the same cRLNumber (it was thisUpdate, in whole seconds). Numbers now come from a counter
 * row in the database, so every CRL any instance signs has a number of its own, larger than the
 * ones before it. Both instances run on one clock here, so the old numbering collides every time.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ManualClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS, ScratchDatabase, createScratchDatabase } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";
import { PkiWorkspace, createPkiWorkspace } from "../support/pki";

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`;
const ISSUE = `mutation($domainId: ID!, $csr: String!) { issueCertificate(input: { domainId: $domainId, csr: $csr }) { certificate { id serialNumber } userErrors { code } } }`;
const REVOKE = `mutation($id: ID!) { revokeCertificate(input: { id: $id }) { userErrors { code } } }`;
const HOUR = 3600_000;

interface SeenCrl {
  instance: string;
  number: bigint;
  der: string;
  text: string;
}

describe.each(DATABASE_FLAVORS)("CRL numbers of two instances on one %s database", (db) => {
  let database: ScratchDatabase;
  let apps: TestApp[] = [];
  let pki: PkiWorkspace;
  let devDir: string;
  const clock = new ManualClock(new Date());
  const verifier = new ScriptedVerifier(clock);
  const seen: SeenCrl[] = [];

  /** Fetches /crl from `t`, reads its number with openssl, and remembers it. */
  const fetchCrl = async (t: TestApp, instance: string): Promise<SeenCrl> => {
    const der = Buffer.from(await (await fetch(`${t.url}/crl`)).arrayBuffer());
    const text = await pki.crlText(der);
    const match = /X509v3 CRL Number: *\n\s*(\d+)/.exec(text);
    expect(match).not.toBeNull();
    const crl = { instance, number: BigInt(match![1]), der: der.toString("hex"), text };
    seen.push(crl);
    return crl;
  };
  /** Polls both instances until each serves a CRL listing `serial` (bounded). */
  const untilBothList = async (serial: string) => {
    const deadline = Date.now() + 20_000;
    for (const [index, t] of apps.entries()) {
      while (!(await fetchCrl(t, `instance ${index}`)).text.includes(serial.toUpperCase())) {
        if (Date.now() > deadline) throw new Error(`instance ${index} never listed ${serial}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  beforeAll(async () => {
    pki = createPkiWorkspace();
    devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-crl-numbers-"));
    database = await createScratchDatabase(db);
    const env = { DEV_CREDENTIALS_DIR: devDir, CRL_REFRESH_SECONDS: "0.2", CRL_MIN_REBUILD_SECONDS: "0.5" };
    apps.push(await startTestApp({ db, database, overrides: { clock, verifier }, env }));
    apps.push(await startTestApp({ db, database, overrides: { clock, verifier }, env }));
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    apps = [];
    await database?.drop();
    pki?.cleanup();
    fs.rmSync(devDir, { recursive: true, force: true });
  });

  it("never gives two different CRLs the same number, and numbers only grow", async () => {
    const [a] = apps;
    const token = await a.token(`crl-numbers-${db}`);
    const name = `numbers-${db}.example.com`;
    const { domain } = (await a.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    verifier.publish(name, [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    expect((await a.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain.verified).toBe(true);
    const certificates = [];
    for (let i = 0; i < 3; i++) {
      const issued = (await a.gql(ISSUE, { domainId: domain.id, csr: await pki.csr(await pki.key("ec")) }, { token })).body.data.issueCertificate;
      expect(issued.userErrors).toEqual([]);
      certificates.push(issued.certificate);
    }

    // Both instances sign their first CRL at the same instant.
    await Promise.all(apps.map((t, index) => fetchCrl(t, `instance ${index}`)));
    for (const [round, certificate] of certificates.entries()) {
      // Alternate instances revoke, and the clock moves past half the validity: every way a new CRL is signed.
      expect((await apps[round % 2].gql(REVOKE, { id: certificate.id }, { token })).body.data.revokeCertificate.userErrors).toEqual([]);
      await untilBothList(certificate.serialNumber);
      clock.advance(13 * HOUR);
      await Promise.all(apps.map((t, index) => fetchCrl(t, `instance ${index}`)));
    }

    const byNumber = new Map<bigint, Set<string>>();
    for (const crl of seen) byNumber.set(crl.number, (byNumber.get(crl.number) ?? new Set()).add(crl.der));
    const reused = [...byNumber].filter(([, ders]) => ders.size > 1).map(([number, ders]) => `${number}: ${ders.size} different CRLs`);
    expect(reused).toEqual([]);
    // Several CRLs were signed, and each instance's numbers never go back.
    expect(byNumber.size).toBeGreaterThanOrEqual(4);
    for (const instance of ["instance 0", "instance 1"]) {
      const numbers = seen.filter((crl) => crl.instance === instance).map((crl) => crl.number);
      expect(numbers).toEqual([...numbers].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    }
  });
});
