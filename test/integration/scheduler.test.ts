import mysql from "mysql2/promise";
import { migrations } from "../../migrations";
import { ManualClock } from "../../src/shared/clock";
import { SYSTEM_ACTOR } from "../../src/audit/audit.types";
import { Domain } from "../../src/domains/domain.entity";
import { DomainLeases } from "../../src/scheduler/domain-leases";
import { SqlDomainStore } from "../../src/domains/domain.store";
import { openDataSource } from "../../src/db/data-source";
import { entities } from "../../src/app/entities";
import { runMigrations } from "../../src/db/migrate";
import type { DomainVerifier, VerificationCheckData, VerificationRequest } from "../../src/verification/types";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id name status nextCheckAt txtRecord { value } } userErrors { code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified check { outcome } domain { status failingSince graceEndsAt } } }`;
const READ = `query($id: ID!) { domain(id: $id) { status verified failingSince graceEndsAt nextCheckAt lastCheckedAt lastCheck { outcome } } }`;
const AUDIT = `query($id: ID!) { auditLog(domainId: $id, first: 100) { nodes { action message previousStatus newStatus requestId actor { type id } check { outcome } } } }`;

describe.each(DATABASE_FLAVORS)("scheduled checks on %s", (db) => {
  let t: TestApp;
  const clock = new ManualClock("2026-11-22T10:00:00.000Z");
  const verifier = new ScriptedVerifier(clock);
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp({ db, overrides: { clock, verifier } });
  });
  afterAll(async () => t?.close());

  /** A claim in a fresh account: its token, id and name. */
  const claim = async (label: string) => {
    const token = await t.token(`sched-${db}-${++seq}`);
    const name = `${label}-${seq}.example.com`;
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    return { token, id: domain.id as string, name, dnsToken: domain.txtRecord.value.replace("dnsproof-verification=", ""), nextCheckAt: domain.nextCheckAt as string };
  };
  const read = async (c: { token: string; id: string }) => (await t.gql(READ, { id: c.id }, { token: c.token })).body.data.domain;
  const audit = async (c: { token: string; id: string }) => (await t.gql(AUDIT, { id: c.id }, { token: c.token })).body.data.auditLog.nodes;
  /** Moves the clock to the claim's nextCheckAt and lets the scheduler run. */
  const runAtNextCheck = async (c: { token: string; id: string }) => {
    const { nextCheckAt } = await read(c);
    clock.set(nextCheckAt);
    await t.app.scheduler.runOnce();
  };
  const verifyNow = async (c: { token: string; id: string; name: string; dnsToken: string }) => {
    verifier.publish(c.name, [c.dnsToken]);
    expect((await t.gql(VERIFY, { id: c.id }, { token: c.token })).body.data.verifyDomain.verified).toBe(true);
  };

  it("checks a new claim by itself 60 s after it was made, then less and less often, until it is verified", async () => {
    const c = await claim("ladder");
    const claimedAt = clock.now().getTime();
    expect(new Date(c.nextCheckAt).getTime() - claimedAt).toBe(60 * SECOND);

    clock.advance(59 * SECOND);
    await t.app.scheduler.runOnce();
    expect((await read(c)).lastCheckedAt).toBeNull();

    const offsets: number[] = [];
    for (let i = 0; i < 4; i++) {
      await runAtNextCheck(c);
      const after = await read(c);
      // Nothing published yet is no failure of the claimant: only their own verifyDomain fails a claim.
      expect(after).toMatchObject({ status: "PENDING", lastCheck: { outcome: "RECORD_NOT_FOUND" } });
      offsets.push((new Date(after.lastCheckedAt).getTime() - claimedAt) / MINUTE);
    }
    expect(offsets).toEqual([1, 2, 7, 22]);
    expect(new Date((await read(c)).nextCheckAt).getTime() - claimedAt).toBe(82 * MINUTE);

    verifier.publish(c.name, [c.dnsToken]);
    await runAtNextCheck(c);
    const verified = await read(c);
    expect(verified).toMatchObject({ status: "VERIFIED", failingSince: null, graceEndsAt: null });
    const untilRecheck = new Date(verified.nextCheckAt).getTime() - clock.now().getTime();
    expect(untilRecheck).toBeGreaterThanOrEqual(0.9 * DAY);
    expect(untilRecheck).toBeLessThanOrEqual(1.1 * DAY);

    const entries = await audit(c);
    expect(entries.map((e: any) => [e.action, e.actor.type])).toEqual([
      ["VERIFICATION_SUCCEEDED", "SYSTEM"],
      ...Array(4).fill(["VERIFICATION_FAILED", "SYSTEM"]),
      ["DOMAIN_CLAIMED", "USER"],
    ]);
    expect(entries[1]).toMatchObject({ previousStatus: "PENDING", newStatus: "PENDING" });
    expect(entries[0]).toMatchObject({ actor: { type: "SYSTEM", id: null }, requestId: null, previousStatus: "PENDING", newStatus: "VERIFIED" });
  });

  it("expires an unverified claim when its token runs out, audited as DOMAIN_EXPIRED by SYSTEM", async () => {
    const c = await claim("expiring");
    clock.advance(30 * DAY);
    await t.app.scheduler.runOnce();
    expect(await read(c)).toMatchObject({ status: "EXPIRED", nextCheckAt: null });
    const stored = await t.app.dataSource.manager.findOneByOrFail(Domain, { id: Buffer.from(c.id, "base64url").toString().split(":")[1] });
    expect(stored).toMatchObject({ status: "EXPIRED", nextCheckAt: null, leaseOwner: null });
    const entries = await audit(c);
    expect(entries[0]).toMatchObject({ action: "DOMAIN_EXPIRED", actor: { type: "SYSTEM", id: null }, previousStatus: expect.stringMatching(/PENDING|FAILED/), newStatus: "EXPIRED" });
    expect(entries.filter((e: any) => e.action === "DOMAIN_EXPIRED")).toHaveLength(1);
  });

  it("keeps a verified domain whose record vanished VERIFIED through the grace period, audits each failed re-check, resets when the record is back, and revokes after it", async () => {
    const c = await claim("grace");
    await verifyNow(c);

    verifier.answer(c.name, "RECORD_NOT_FOUND");
    await runAtNextCheck(c);
    const failing = await read(c);
    const firstFailure = clock.now().toISOString();
    expect(failing).toMatchObject({ status: "VERIFIED", verified: true, failingSince: firstFailure, graceEndsAt: new Date(clock.now().getTime() + 72 * HOUR).toISOString() });
    expect(new Date(failing.nextCheckAt).getTime()).toBeLessThanOrEqual(new Date(failing.graceEndsAt).getTime());
    expect((await audit(c))[0]).toMatchObject({
      action: "VERIFICATION_FAILED",
      actor: { type: "SYSTEM" },
      previousStatus: "VERIFIED",
      newStatus: "VERIFIED",
      message: expect.stringContaining(`stays verified until ${failing.graceEndsAt}`),
    });

    await runAtNextCheck(c);
    expect(await read(c)).toMatchObject({ status: "VERIFIED", failingSince: firstFailure });

    verifier.publish(c.name, [c.dnsToken]);
    await runAtNextCheck(c);
    expect(await read(c)).toMatchObject({ status: "VERIFIED", failingSince: null, graceEndsAt: null });

    verifier.answer(c.name, "VALUE_MISMATCH");
    await runAtNextCheck(c);
    const secondFailure = (await read(c)).failingSince;
    expect(secondFailure).toBe(clock.now().toISOString());
    for (let i = 0; i < 10 && (await read(c)).status === "VERIFIED"; i++) await runAtNextCheck(c);
    const revoked = await read(c);
    expect(revoked).toMatchObject({ status: "REVOKED", verified: false, failingSince: null, graceEndsAt: null, nextCheckAt: null });
    expect(clock.now().getTime() - new Date(secondFailure).getTime()).toBe(72 * HOUR);

    const [revocation, lastCheck] = await audit(c);
    expect(revocation).toMatchObject({ action: "DOMAIN_REVOKED", actor: { type: "SYSTEM" }, previousStatus: "VERIFIED", newStatus: "REVOKED" });
    expect(revocation.message).toContain(secondFailure);
    expect(lastCheck).toMatchObject({ action: "VERIFICATION_FAILED", previousStatus: "VERIFIED", newStatus: "REVOKED", check: { outcome: "VALUE_MISMATCH" } });

    const newcomer = await t.token(`sched-${db}-newcomer`);
    const taken = (await t.gql(CLAIM, { name: c.name }, { token: newcomer })).body.data.claimDomain.domain;
    verifier.publish(c.name, [taken.txtRecord.value.replace("dnsproof-verification=", "")]);
    expect((await t.gql(VERIFY, { id: taken.id }, { token: newcomer })).body.data.verifyDomain.verified).toBe(true);
  });

  it("revokes nothing when re-verification meets a DNS outage, however long it lasts", async () => {
    const c = await claim("outage");
    await verifyNow(c);
    verifier.answer(c.name, "RECORD_NOT_FOUND");
    await runAtNextCheck(c);
    const { failingSince, graceEndsAt } = await read(c);

    verifier.answer(c.name, "DNS_ERROR");
    await runAtNextCheck(c);
    const outageEnds = new Date(graceEndsAt).getTime() + 2 * DAY;
    let steps = 0;
    while (clock.now().getTime() < outageEnds) {
      clock.advance(6 * HOUR);
      steps++;
      await t.app.scheduler.runOnce();
      // Due again 15 minutes after each DNS error, so every step checks it.
      expect(await read(c)).toMatchObject({ status: "VERIFIED", failingSince, lastCheckedAt: clock.now().toISOString(), lastCheck: { outcome: "DNS_ERROR" } });
    }
    expect(steps).toBeGreaterThan(8);
    expect((await audit(c)).filter((e: any) => e.action === "DOMAIN_REVOKED")).toEqual([]);

    verifier.publish(c.name, [c.dnsToken]);
    await runAtNextCheck(c);
    expect(await read(c)).toMatchObject({ status: "VERIFIED", failingSince: null });
  });

  it("applies the same grace period to a user's own verifyDomain on a verified domain", async () => {
    const c = await claim("manual");
    await verifyNow(c);
    verifier.answer(c.name, "RECORD_NOT_FOUND");
    const first = (await t.gql(VERIFY, { id: c.id }, { token: c.token })).body.data.verifyDomain;
    expect(first).toMatchObject({ verified: true, check: { outcome: "RECORD_NOT_FOUND" }, domain: { status: "VERIFIED", failingSince: clock.now().toISOString() } });
    clock.advance(72 * HOUR);
    const last = (await t.gql(VERIFY, { id: c.id }, { token: c.token })).body.data.verifyDomain;
    expect(last).toMatchObject({ verified: false, domain: { status: "REVOKED", failingSince: null, graceEndsAt: null } });
    const [revocation] = await audit(c);
    expect(revocation).toMatchObject({ action: "DOMAIN_REVOKED", actor: { type: "USER" } });
  });

  it("leaves claims another instance holds alone until that lease runs out", async () => {
    const c = await claim("leased");
    clock.advance(MINUTE);
    const otherInstance = new DomainLeases(new SqlDomainStore(t.app.db, clock));
    const held = await otherInstance.take({ kind: "due" }, 10_000, 5 * MINUTE);
    expect(held.domains.map((d) => d.name)).toContain(c.name);

    expect(await t.app.scheduler.runOnce()).toEqual([]);
    expect((await read(c)).lastCheckedAt).toBeNull();

    // The other instance crashed: once its lease runs out, the claim is checked.
    clock.advance(5 * MINUTE);
    await t.app.scheduler.runOnce();
    expect(await read(c)).toMatchObject({ status: "PENDING", lastCheck: { outcome: "RECORD_NOT_FOUND" } });

    // And the late instance's result is not recorded on top.
    const check = await verifier.verify({ name: c.name, token: c.dnsToken, previousTokens: [] });
    const stale = held.domains.find((d) => d.name === c.name)!;
    const entriesBefore = (await audit(c)).length;
    expect(await t.app.verification.applyCheck(stale, check, SYSTEM_ACTOR, null, { lease: held.lease })).toBeNull();
    expect(await audit(c)).toHaveLength(entriesBefore);
  });

  it("starts over on the ladder when the token is regenerated, and does not record a check made with the old token", async () => {
    const c = await claim("regenerated");
    clock.advance(MINUTE);
    const leases = new DomainLeases(new SqlDomainStore(t.app.db, clock));
    const batch = await leases.take({ kind: "due" }, 10_000, 5 * MINUTE);
    const leased = batch.domains.find((d) => d.name === c.name)!;
    const regenerated = await t.gql(`mutation($id: ID!) { regenerateToken(input: { id: $id }) { domain { status nextCheckAt } } }`, { id: c.id }, { token: c.token });
    expect(regenerated.body.data.regenerateToken.domain).toEqual({ status: "PENDING", nextCheckAt: new Date(clock.now().getTime() + MINUTE).toISOString() });
    verifier.publish(c.name, [c.dnsToken]);
    const oldTokenCheck = await verifier.verify({ name: c.name, token: c.dnsToken, previousTokens: [] });
    expect(await t.app.verification.applyCheck(leased, oldTokenCheck, SYSTEM_ACTOR, null, { lease: batch.lease })).toBeNull();
    expect(await read(c)).toMatchObject({ status: "PENDING", lastCheckedAt: null });
  });

  it("counts what it did in /metrics", async () => {
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/dnsproof_scheduler_checks_total\{result="NOT_VERIFIED"\} [1-9]/);
    expect(metrics).toMatch(/dnsproof_scheduler_checks_total\{result="REVOKED"\} [1-9]/);
    expect(metrics).toMatch(/dnsproof_scheduler_checks_total\{result="EXPIRED"\} [1-9]/);
    expect(metrics).toMatch(/dnsproof_scheduler_lease_duration_seconds_count [1-9]/);
    expect(metrics).toMatch(/dnsproof_scheduler_batch_duration_seconds_count [1-9]/);
  });
});

/** Holds every lookup until released, so a test can stop the server with a batch in hand. */
class GatedVerifier implements DomainVerifier {
  readonly waiting: (() => void)[] = [];
  constructor(private readonly inner: DomainVerifier) {}
  verify(request: VerificationRequest): Promise<VerificationCheckData> {
    return new Promise((resolve) => this.waiting.push(() => resolve(this.inner.verify(request))));
  }
  releaseAll(): void {
    this.waiting.splice(0).forEach((release) => release());
  }
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(DATABASE_FLAVORS)("the scheduler inside the server on %s", (db) => {
  it("runs by itself when enabled, and App.close() lets the batch in hand finish but takes no other", async () => {
    const clock = new ManualClock("2026-11-22T10:00:00.000Z");
    const gate = new GatedVerifier(new ScriptedVerifier(clock));
    const database = await createScratchDatabase(db);
    try {
      const t = await startTestApp({
        database,
        overrides: { clock, verifier: gate },
        env: { SCHEDULER_ENABLED: "true", SCHEDULER_INTERVAL_SECONDS: "0.02", SCHEDULER_BATCH_SIZE: "2" },
      });
      for (const name of ["one", "two", "three"]) {
        await t.gql(`mutation($name: String!) { claimDomain(input: { name: $name }) { created } }`, { name: `${name}.stop.example.com` });
      }
      clock.advance(MINUTE);
      await until(() => gate.waiting.length === 2);

      let closed = false;
      const closing = t.close().then(() => (closed = true));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(closed).toBe(false);
      gate.releaseAll();
      await closing;
      expect(gate.waiting).toHaveLength(0);

      const dataSource = await openDataSource(database.url, { entities });
      try {
        const rows = await dataSource.manager.find(Domain, { order: { name: "ASC" } });
        expect(rows.map((d) => [d.name, d.status, d.leaseOwner])).toEqual([
          ["one.stop.example.com", expect.any(String), null],
          ["three.stop.example.com", expect.any(String), null],
          ["two.stop.example.com", expect.any(String), null],
        ]);
        expect(rows.filter((d) => d.status === "PENDING" && d.lastCheckedAt !== null)).toHaveLength(2);
        expect(rows.filter((d) => d.status === "PENDING" && d.lastCheckedAt === null)).toHaveLength(1);
      } finally {
        await dataSource.destroy();
      }
    } finally {
      await database.drop();
    }
  });
});

describe.each(DATABASE_FLAVORS)("upgrading a %s database to scheduled checks", (db) => {
  it("makes every unfinished claim from before due at once, and leaves the rest unscheduled", async () => {
    const database = await createScratchDatabase(db);
    const dataSource = await openDataSource(database.url, { entities });
    try {
      await runMigrations(dataSource);
      // Back to just before the scheduling migration, however many came after it.
      const later = migrations.slice(migrations.findIndex((m) => m.name === "Scheduling1765000000000"));
      for (const _ of later) await dataSource.undoLastMigration();
      const insert = `INSERT INTO domains (id, accountId, name, status, token, previousTokens, tokenExpiresAt, createdAt, updatedAt)
                      VALUES (?, 'acct', ?, ?, 'tok', '[]', '2027-01-01 00:00:00.000', ?, '2026-11-01 00:00:00.000')`;
      const statuses = ["PENDING", "FAILED", "VERIFIED", "EXPIRED", "REVOKED"];
      for (const [i, status] of statuses.entries()) {
        await dataSource.query(insert, [`00000000-0000-7000-8000-00000000000${i}`, `${status.toLowerCase()}.example.com`, status, `2026-10-0${i + 1} 00:00:00.000`]);
      }
      expect(await runMigrations(dataSource)).toEqual(later.map((m) => m.name));
      const rows = await dataSource.manager.find(Domain, { order: { id: "ASC" } });
      expect(rows.map((d) => [d.status, d.nextCheckAt?.toISOString() ?? null])).toEqual([
        ["PENDING", "2026-10-01T00:00:00.000Z"],
        ["FAILED", "2026-10-02T00:00:00.000Z"],
        ["VERIFIED", "2026-10-03T00:00:00.000Z"],
        ["EXPIRED", null],
        ["REVOKED", null],
      ]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

describe("a backlog of due claims on MariaDB", () => {
  it("is checked whole by one pass of the scheduler, while the pass's own groups of checks are being written", async () => {
    const clock = new ManualClock("2026-11-22T10:00:00.000Z");
    const database = await createScratchDatabase("mariadb");
    const t = await startTestApp({ database, overrides: { clock, verifier: new ScriptedVerifier(clock) } });
    const sql = await mysql.createConnection({ uri: database.url, timezone: "Z" });
    try {
      const now = clock.now();
      await sql.query("INSERT INTO accounts (id, createdAt, version) SELECT CONCAT('backlog-', seq), ?, 0 FROM seq_0_to_9", [now]);
      // Written as a bulk load leaves them: statistics not yet analyzed, every claim due a minute ago.
      await sql.query(
        `INSERT INTO domains (id, accountId, name, nameReversed, status, token, previousTokens, tokenIssuedAt, tokenExpiresAt, nextCheckAt, createdAt, updatedAt)
         SELECT CONCAT('00000000-0000-4000-8000-', LPAD(HEX(seq), 12, '0')), CONCAT('backlog-', seq MOD 10), CONCAT('b', seq, '.example.com'), CONCAT('com.example.b', seq), 'PENDING',
           SHA2(seq, 256), '[]', ?, ? + INTERVAL 20 DAY, ? - INTERVAL 1 MINUTE, ?, ? FROM seq_0_to_2999`,
        [now, now, now, now, now],
      );
      // A lease that found nothing while groups were being written used to end the pass; the rest
      // then waited SCHEDULER_INTERVAL_SECONDS (30 s by default) for the next one, a few hundred at a time.
      const results = await t.app.scheduler.runOnce();
      expect(results).toHaveLength(3000);
      const [[left]] = (await sql.query("SELECT COUNT(*) AS n FROM domains WHERE nextCheckAt <= ?", [now])) as unknown as [{ n: number }[]];
      expect(Number(left.n)).toBe(0);
    } finally {
      await sql.end();
      await t.close();
      await database.drop();
    }
  });
});
