import { randomBytes } from "node:crypto";
import type { Database } from "../../src/db/database";

/**
 * /crl is rebuilt in the background: a revocation reaches it within CRL_MIN_REBUILD_SECONDS plus a
 * build, not at once. Tests that revoke poll for what they expect, within a bound, and
 * assert on the last CRL they got, so a revocation that never arrives fails with the usual message.
 */
export async function fetchCrlUntil(url: string, ready: (der: Buffer) => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const der = Buffer.from(await (await fetch(`${url}/crl`)).arrayBuffer());
    if ((await ready(der)) || Date.now() > deadline) return der;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether a DER CRL lists `serial` (lower-case hex): its INTEGER's content bytes appear in it. */
export function listsSerial(der: Buffer, serial: string): boolean {
  return der.includes(Buffer.from(serial.length % 2 ? `0${serial}` : serial, "hex"));
}

/**
 * `count` revoked, unexpired certificates of an account no test uses, written by MariaDB itself
 * from its SEQUENCE engine (no client loop): each revoked in a second of its own, the reasons in
 * turn, serials of 16 octets. Returns nothing; read the rows back for their serials.
 */
export async function insertRevokedCertificates(db: Database, count: number, now = new Date()): Promise<void> {
  if (db.kind !== "mysql") throw new Error("insertRevokedCertificates writes with MariaDB's SEQUENCE engine");
  const run = randomBytes(4).toString("hex");
  const serialPrefix = randomBytes(10).toString("hex").slice(0, 19);
  const day = 86_400_000;
  await db.manager.query(
    `INSERT INTO certificates (id, accountId, domainId, domainName, serialNumber, fingerprintSha256, pem, notBefore, notAfter, revokedAt, revocationReason, createdAt)
     SELECT CONCAT(?, '-0000-4000-8000-', LPAD(HEX(seq), 12, '0')), 'crl-scale', CONCAT(?, '-0001-4000-8000-', LPAD(HEX(seq), 12, '0')),
            CONCAT('scale-', seq, '.example.com'), CONCAT('4', ?, LPAD(HEX(seq), 12, '0')), SHA2(CONCAT(?, seq), 256), '(seeded)',
            ?, ?, ? - INTERVAL seq SECOND, ELT(1 + seq % 3, 'REVOKED_BY_OWNER', 'DOMAIN_REMOVED', 'DOMAIN_NOT_VERIFIED'), ?
     FROM seq_1_to_${Math.floor(count)}`,
    [run, run, serialPrefix, run, new Date(now.getTime() - 10 * day), new Date(now.getTime() + 80 * day), now, new Date(now.getTime() - 10 * day)],
  );
}

/** Asks GET /healthz one request after another until stopped: every status and the longest wait, to show the event loop stayed free. */
export function probeHealth(url: string, pauseMs = 5): { stop(): Promise<{ statuses: number[]; latencies: number[]; maxMs: number }> } {
  const statuses: number[] = [];
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
      await response?.arrayBuffer();
      latencies.push(performance.now() - started);
      statuses.push(response?.status ?? 0);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { statuses, latencies, maxMs: Math.max(0, ...latencies) };
    },
  };
}
