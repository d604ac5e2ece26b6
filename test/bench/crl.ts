/**
 * How long a CRL build takes, and how long /healthz waits meanwhile, at 1,000, 10,000 and
 * 100,000 revoked certificates (`npm run bench:crl`; MariaDB writes the rows itself, so the local
 * MariaDB is needed). The baseline is the previous builder, @peculiar/x509's X509CrlGenerator over
 * the same rows, run in the same process at 1,000 (BENCH_CRL_OLD_MAX=10000 adds 10,000: about 25 s
 * here, holding the event loop throughout). A build is timed twice: the first,
 * which a request waits for (it also loads the asn1 and X.509 code), and a background rebuild.
 * Figures, not assertions. BENCH_CRL_SIZES=1000,10000 runs fewer sizes.
 */
import "reflect-metadata";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { IsNull, MoreThan, Not } from "typeorm";
import { startTestApp, TestApp } from "../support/test-app";
import { insertRevokedCertificates, probeHealth } from "../support/crl";
import { Certificate, CertificateRevocationReason } from "../../src/credentials/certificates/certificate.entity";
import type { CertificateAuthority } from "../../src/credentials/ca/certificate-authority";
import { loadX509 } from "../../src/credentials/x509";

const SIZES = (process.env.BENCH_CRL_SIZES ?? "1000,10000,100000").split(",").map(Number);
const OLD_MAX = Number(process.env.BENCH_CRL_OLD_MAX ?? 1000);

interface Figures {
  entries: number;
  firstMs: number;
  firstHealthMs: number;
  rebuildMs: number;
  rebuildHealthMs: number;
  longestSliceMs: number;
  bytes: number;
  oldMs?: number;
  oldHealthMs?: number;
}

/** The previous builder, as it was: every row at once, then X509CrlGenerator. */
async function buildWithGenerator(t: TestApp, ca: CertificateAuthority): Promise<number> {
  const x509 = await loadX509();
  const reasons = { DOMAIN_REMOVED: x509.X509CrlReason.cessationOfOperation, DOMAIN_NOT_VERIFIED: x509.X509CrlReason.privilegeWithdrawn, REVOKED_BY_OWNER: undefined };
  const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
  const revoked = await t.app.db.manager.find(Certificate, {
    select: { serialNumber: true, revokedAt: true, revocationReason: true },
    where: { revokedAt: Not(IsNull()), notAfter: MoreThan(thisUpdate) },
    order: { revokedAt: "ASC" },
  });
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.certificate.subjectName,
    thisUpdate,
    nextUpdate: new Date(thisUpdate.getTime() + 86_400_000),
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signingAlgorithm,
    entries: revoked.map((c) => ({ serialNumber: c.serialNumber, revocationDate: c.revokedAt!, reason: c.revocationReason ? reasons[c.revocationReason as CertificateRevocationReason] : undefined })),
    extensions: [new x509.AuthorityKeyIdentifierExtension(ca.keyId)],
  });
  return crl.rawData.byteLength;
}

async function measure(entries: number): Promise<Figures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-bench-crl-"));
  const t = await startTestApp({ db: "mariadb", env: { DEV_CREDENTIALS_DIR: dir, CRL_MIN_REBUILD_SECONDS: "0.01", CRL_REFRESH_SECONDS: "3600" } });
  try {
    const ca = (await t.app.credentials.ca())!;
    await insertRevokedCertificates(t.app.db, entries);

    let probes = probeHealth(t.url);
    let started = performance.now();
    const der = Buffer.from(await (await fetch(`${t.url}/crl`)).arrayBuffer());
    const firstMs = performance.now() - started;
    const firstHealthMs = (await probes.stop()).maxMs;

    const publisher = (await t.app.credentials.crl())!;
    const before = publisher.stats();
    probes = probeHealth(t.url);
    publisher.markStale();
    // Started (builds counts it) and finished (lastBuildMs is written when it ends).
    while (publisher.stats().builds === before.builds || publisher.stats().lastBuildMs === before.lastBuildMs) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const rebuildHealthMs = (await probes.stop()).maxMs;
    const stats = publisher.stats();
    const figures: Figures = { entries, firstMs, firstHealthMs, rebuildMs: stats.lastBuildMs!, rebuildHealthMs, longestSliceMs: stats.lastLongestSliceMs!, bytes: der.length };

    if (entries <= OLD_MAX) {
      publisher.stop();
      probes = probeHealth(t.url);
      started = performance.now();
      await buildWithGenerator(t, ca);
      figures.oldMs = performance.now() - started;
      figures.oldHealthMs = (await probes.stop()).maxMs;
    }
    return figures;
  } finally {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (value: number | undefined) => (value === undefined ? "-" : `${Math.round(value)} ms`);
const ratio = (old: number | undefined, now: number) => (old === undefined ? "-" : `${(old / now).toFixed(1)}x`);

async function main(): Promise<void> {
  const rows: Figures[] = [];
  for (const entries of SIZES) {
    const figures = await measure(entries);
    rows.push(figures);
    console.log(`${entries} entries done`);
  }
  console.log("\nCRL builds on MariaDB (EC P-256 CA), /healthz probed every 5 ms during each build");
  console.log("| entries | DER bytes | first build (request waits) | /healthz max | background rebuild | /healthz max | longest slice | X509CrlGenerator (baseline) | /healthz max | baseline / rebuild |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const f of rows) {
    console.log(
      `| ${f.entries} | ${f.bytes} | ${ms(f.firstMs)} | ${ms(f.firstHealthMs)} | ${ms(f.rebuildMs)} | ${ms(f.rebuildHealthMs)} | ${ms(f.longestSliceMs)} | ${ms(f.oldMs)} | ${ms(f.oldHealthMs)} | ${ratio(f.oldMs, f.rebuildMs)} |`,
    );
  }
  const largest = rows[rows.length - 1];
  console.log(`\n${largest.entries} entries rebuilt in ${ms(largest.rebuildMs)} (target ≤ 2000 ms); /healthz waited at most ${ms(largest.rebuildHealthMs)} during it (target < 100 ms).`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
