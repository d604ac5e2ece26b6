/**
 * A CRL of tens of thousands of revocations: MariaDB writes them itself, GET /crl builds the CRL
 * while /healthz is asked again and again, and openssl checks the signature and reads every
 * serial back. The build is read a page at a time and encoded between turns of the event loop,
 * so every probe is answered during it; the longest wait is printed (the figures against the
 * previous generator are `npm run bench:crl`'s), and the assertions keep a wide margin.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { TestApp, startTestApp } from "../support/test-app";
import { insertRevokedCertificates, probeHealth } from "../support/crl";

const ENTRIES = Number(process.env.CRL_SCALE_ENTRIES ?? 40_000);
const run = promisify(execFile);

describe("a CRL of many revocations on mariadb", () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-crl-scale-"));
    t = await startTestApp({ db: "mariadb", env: { DEV_CREDENTIALS_DIR: dir } });
    await insertRevokedCertificates(t.app.db, ENTRIES);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("holds every revocation, signed so openssl verifies it, while /healthz keeps answering", async () => {
    const probes = probeHealth(t.url);
    const response = await fetch(`${t.url}/crl`);
    const der = Buffer.from(await response.arrayBuffer());
    const health = await probes.stop();
    expect(response.status).toBe(200);

    const publisher = (await t.app.credentials.crl())!;
    const stats = publisher.stats();
    console.log(
      `CRL of ${stats.lastEntries} entries built in ${Math.round(stats.lastBuildMs!)} ms; longest slice ${Math.round(stats.lastLongestSliceMs!)} ms; ` +
        `${health.statuses.length} /healthz probes, the slowest ${Math.round(health.maxMs)} ms`,
    );
    expect(stats.lastEntries).toBe(ENTRIES);
    // Every probe during the build was answered, and there were several: the build did not hold the loop throughout.
    expect(health.statuses.length).toBeGreaterThanOrEqual(5);
    expect(health.statuses.filter((status) => status !== 200)).toEqual([]);
    // Encoded in slices: none of them near the whole build (encoded at once, one slice would be most of it).
    expect(stats.lastLongestSliceMs!).toBeLessThan(stats.lastBuildMs! / 3);

    const crlFile = path.join(dir, "crl.der");
    const caFile = path.join(dir, "ca.pem");
    fs.writeFileSync(crlFile, der);
    fs.writeFileSync(caFile, (await t.app.credentials.ca())!.pem);
    const verified = await run("openssl", ["crl", "-inform", "DER", "-in", crlFile, "-CAfile", caFile, "-noout"]);
    expect(verified.stderr + verified.stdout).toMatch(/verify OK/);
    const text = (await run("openssl", ["crl", "-inform", "DER", "-in", crlFile, "-noout", "-text"], { maxBuffer: 256 * 1024 * 1024 })).stdout;
    const listed = new Set([...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((match) => match[1]));
    const rows: { serialNumber: string }[] = await t.app.db.manager.query("SELECT serialNumber FROM certificates WHERE revokedAt IS NOT NULL");
    expect(rows.length).toBe(ENTRIES);
    expect(listed.size).toBe(ENTRIES);
    expect(rows.filter((row) => !listed.has(row.serialNumber.toUpperCase()))).toEqual([]);
    expect((text.match(/Cessation Of Operation/g) ?? []).length).toBe(Math.floor((ENTRIES + 2) / 3));
  }, 120_000);
});
