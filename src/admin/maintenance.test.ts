import { Maintenance } from "./maintenance";
import { createFakeCore } from "../domains/testing/fake-core";
import { VerificationService } from "../domains/verification.service";
import { ScriptedVerifier } from "../verification/testing/scripted-verifier";
import { DomainStatus } from "../shared/domain-status";
import { ManualClock } from "../shared/clock";
import { Actor, ActorType, AuditAction } from "../audit/audit.types";
import type { DomainLeases } from "../scheduler/domain-leases";
import type { CheckRunner } from "../scheduler/check-runner";
import type { AuditRecord } from "../audit/audit-log";

const DAY = 86_400_000;
const CLEANUP_AFTER = 30 * DAY;
const admin: Actor = { type: ActorType.ADMIN, id: "ops", email: null };
const ctx = { actor: admin, requestId: "cleanup-1" };

function setUp(options: { batchSize?: number; rowsPerTransaction?: number } = {}) {
  const clock = new ManualClock("2026-11-22T10:00:00.000Z");
  const core = createFakeCore(clock, []);
  const schedule = { pendingFirstCheckMs: 60_000, pendingBackoffMs: [300_000], reverifyIntervalMs: DAY, reverifyGraceMs: 3 * DAY };
  const verification = new VerificationService(core.domainStore, core.db, core.audit, new ScriptedVerifier(clock), clock, {
    tokenTtlMs: 30 * DAY,
    cnameZone: "verify.dnsproof.test",
    schedule,
    tokenExpiryWarningMs: 3 * DAY,
  });
  // Cleanup neither leases nor checks: re-verification's parts stay out of these tests.
  const maintenance = new Maintenance(core.domainStore, core.domains, verification, {} as DomainLeases, {} as CheckRunner, clock, {
    batchSize: options.batchSize ?? 100,
    leaseMs: 60_000,
    cleanupAfterMs: CLEANUP_AFTER,
    rowsPerTransaction: options.rowsPerTransaction ?? 4,
  });
  const ago = (ms: number) => new Date(clock.now().getTime() - ms);
  let n = 0;
  const name = () => `c${String(++n).padStart(3, "0")}.example.com`;
  /** Claims cleanup deletes: EXPIRED or REVOKED since before the cutoff. */
  const stale = (accountId = "alice") =>
    n % 2
      ? core.putDomain({ accountId, name: name(), status: DomainStatus.EXPIRED, tokenExpiresAt: ago(40 * DAY), updatedAt: ago(40 * DAY) })
      : core.putDomain({ accountId, name: name(), status: DomainStatus.REVOKED, tokenExpiresAt: ago(DAY), updatedAt: ago(31 * DAY) });
  /** An unproven claim whose token ran out `age` ago: expired by cleanup, and deleted too once that is past the cutoff. */
  const lapsed = (age: number, accountId = "alice") =>
    core.putDomain({ accountId, name: name(), status: DomainStatus.PENDING, tokenExpiresAt: ago(age), updatedAt: ago(age + DAY) });
  return { ...core, verification, maintenance, stale, lapsed, ago, name };
}

const idsOf = (entries: AuditRecord[], action: AuditAction) => entries.filter((e) => e.action === action).map((e) => e.domain!.id).sort();

describe("Maintenance.cleanup", () => {
  it("expires lapsed claims and deletes stale ones in transactions of at most rowsPerTransaction, each with its audit entry", async () => {
    const { maintenance, domainStore, audit, accountStore, stale, lapsed, putDomain, name, ago } = setUp({ rowsPerTransaction: 4 });
    const deleted = Array.from({ length: 10 }, (_, i) => stale(i % 2 ? "alice" : "bob")).map((d) => d.id);
    const expiredLongAgo = [lapsed(40 * DAY), lapsed(35 * DAY, "bob")].map((d) => d.id);
    const expiredRecently = [lapsed(DAY), lapsed(2 * DAY), lapsed(3 * DAY), lapsed(4 * DAY, "bob"), lapsed(5 * DAY)].map((d) => d.id);
    const kept = [
      putDomain({ accountId: "alice", name: name(), status: DomainStatus.VERIFIED }),
      putDomain({ accountId: "alice", name: name(), status: DomainStatus.PENDING }),
      putDomain({ accountId: "alice", name: name(), status: DomainStatus.REVOKED, updatedAt: ago(29 * DAY) }),
    ].map((d) => d.id);

    expect(await maintenance.cleanup(ctx)).toEqual({ expired: 7, deleted: 12 });

    for (const id of [...deleted, ...expiredLongAgo]) expect(domainStore.get(id)).toBeUndefined();
    for (const id of expiredRecently) expect(domainStore.get(id)).toMatchObject({ status: DomainStatus.EXPIRED, nextCheckAt: null });
    expect(kept.map((id) => domainStore.get(id)?.status)).toEqual([DomainStatus.VERIFIED, DomainStatus.PENDING, DomainStatus.REVOKED]);

    expect(idsOf(audit.entries, AuditAction.DOMAIN_EXPIRED)).toEqual([...expiredLongAgo, ...expiredRecently].sort());
    expect(idsOf(audit.entries, AuditAction.DOMAIN_REMOVED)).toEqual([...deleted, ...expiredLongAgo].sort());
    for (const entry of audit.entries) expect(entry).toMatchObject({ actor: admin, requestId: "cleanup-1" });
    expect(audit.entries.find((e) => e.domain!.id === expiredRecently[0])).toMatchObject({ previousStatus: DomainStatus.PENDING, newStatus: DomainStatus.EXPIRED });
    const removal = (id: string) => audit.entries.find((e) => e.domain!.id === id && e.action === AuditAction.DOMAIN_REMOVED);
    expect(removal(deleted[0])).toMatchObject({ previousStatus: DomainStatus.REVOKED, newStatus: null });
    expect(removal(deleted[1])).toMatchObject({ previousStatus: DomainStatus.EXPIRED, newStatus: null });

    // 7 lapsed claims in 4 + 3, then 12 stale ones in 4 + 4 + 4; each transaction's rows in id order.
    expect(domainStore.lockedBatches.map((batch) => batch.length)).toEqual([4, 3, 4, 4, 4]);
    for (const batch of domainStore.lockedBatches.slice(2)) expect(batch).toEqual([...batch].sort());
    // Deleting and expiring only make room under the per-account limit: no account row is locked, so no claim queues behind cleanup.
    expect(accountStore.locks).toEqual([]);

    expect(await maintenance.cleanup(ctx)).toEqual({ expired: 0, deleted: 0 });
  });

  it("pages by SCHEDULER_BATCH_SIZE, or by one transaction's worth when that is larger", async () => {
    const many = setUp({ batchSize: 3, rowsPerTransaction: 5 });
    for (let i = 0; i < 12; i++) many.stale();
    expect(await many.maintenance.cleanup(ctx)).toEqual({ expired: 0, deleted: 12 });
    expect(many.domainStore.lockedBatches.map((batch) => batch.length)).toEqual([5, 5, 2]);

    const pages = setUp({ batchSize: 6, rowsPerTransaction: 4 });
    for (let i = 0; i < 12; i++) pages.stale();
    expect(await pages.maintenance.cleanup(ctx)).toEqual({ expired: 0, deleted: 12 });
    expect(pages.domainStore.lockedBatches.map((batch) => batch.length)).toEqual([4, 2, 4, 2]);
  });

  it("pages lapsed claims of both unproven statuses by (status, expiry, id), each once", async () => {
    const { maintenance, domainStore, audit, lapsed } = setUp({ batchSize: 2, rowsPerTransaction: 2 });
    const claims = [5, 3, 3, 1, 2, 4, 2].map((days, i) => {
      const claim = lapsed(days * DAY);
      if (i % 2) domainStore.change(claim.id, { status: DomainStatus.FAILED });
      return claim.id;
    });

    expect(await maintenance.cleanup(ctx)).toEqual({ expired: 7, deleted: 0 });
    expect(idsOf(audit.entries, AuditAction.DOMAIN_EXPIRED)).toEqual([...claims].sort());
    expect(domainStore.lockedBatches.flat().sort()).toEqual([...claims].sort());
  });

  it("leaves alone, and does not count, a claim that changed between its page and its transaction", async () => {
    const { maintenance, domainStore, audit, stale, lapsed, clock } = setUp();
    const [renewed, removed, gone] = [stale(), stale(), stale()];
    const verified = lapsed(DAY);
    const read = { stale: domainStore.pageOfStale.bind(domainStore), lapsed: domainStore.pageOfLapsedTokens.bind(domainStore) };
    domainStore.pageOfLapsedTokens = async (...args) => {
      const page = await read.lapsed(...args);
      domainStore.change(verified.id, { status: DomainStatus.VERIFIED, verifiedName: verified.name });
      return page;
    };
    domainStore.pageOfStale = async (...args) => {
      const page = await read.stale(...args);
      // A new token and a removal by the owner, committed after the page was read.
      domainStore.change(renewed.id, { status: DomainStatus.PENDING, tokenExpiresAt: new Date(clock.now().getTime() + DAY) });
      await domainStore.delete({} as never, gone.id);
      return page;
    };

    expect(await maintenance.cleanup(ctx)).toEqual({ expired: 0, deleted: 1 });
    expect(domainStore.get(renewed.id)).toMatchObject({ status: DomainStatus.PENDING });
    expect(domainStore.get(verified.id)).toMatchObject({ status: DomainStatus.VERIFIED });
    expect(domainStore.get(removed.id)).toBeUndefined();
    expect(audit.entries.map((e) => [e.action, e.domain!.id])).toEqual([[AuditAction.DOMAIN_REMOVED, removed.id]]);
  });

  it("rolls a transaction back whole when one of its entries fails: no row of it is changed, no entry of it kept", async () => {
    const { maintenance, domainStore, audit, stale } = setUp({ rowsPerTransaction: 3 });
    const claims = Array.from({ length: 6 }, () => stale());
    const record = audit.record.bind(audit);
    audit.record = async (manager, entry) => {
      if (entry.domain!.id === claims[4].id) throw new Error("the audit log is full");
      return record(manager, entry);
    };

    await expect(maintenance.cleanup(ctx)).rejects.toThrow("the audit log is full");
    expect(claims.map((d) => Boolean(domainStore.get(d.id)))).toEqual([false, false, false, true, true, true]);
    expect(audit.entries.map((e) => e.domain!.id)).toEqual(claims.slice(0, 3).map((d) => d.id));
  });
});

describe("VerificationService.expireBatch", () => {
  it("with a lease: expires the lapsed claims it still holds, gives the lease up on every claim it holds, and leaves the others", async () => {
    const { verification, domainStore, audit, lapsed, putDomain, name, clock } = setUp();
    const leaseExpiresAt = new Date(clock.now().getTime() + 60_000);
    const mine = { leaseOwner: "run-1", leaseExpiresAt };
    const held = lapsed(DAY);
    const notLapsed = putDomain({ accountId: "alice", name: name(), status: DomainStatus.PENDING, ...mine });
    const lost = lapsed(DAY);
    domainStore.change(held.id, mine);
    domainStore.change(lost.id, { leaseOwner: "run-2", leaseExpiresAt });

    const expired = await verification.expireBatch([held.id, notLapsed.id, lost.id], admin, null, { lease: "run-1" });

    expect(expired).toEqual([held.id]);
    expect(domainStore.get(held.id)).toMatchObject({ status: DomainStatus.EXPIRED, leaseOwner: null, leaseExpiresAt: null, updatedAt: clock.now() });
    expect(domainStore.get(notLapsed.id)).toMatchObject({ status: DomainStatus.PENDING, leaseOwner: null, leaseExpiresAt: null });
    expect(domainStore.get(lost.id)).toMatchObject({ status: DomainStatus.PENDING, leaseOwner: "run-2" });
    expect(audit.entries.map((e) => [e.action, e.domain!.id])).toEqual([[AuditAction.DOMAIN_EXPIRED, held.id]]);
  });

  it("one claim, as the scheduler expires it: true once, false when there is nothing left to do", async () => {
    const { verification, lapsed } = setUp();
    const claim = lapsed(DAY);
    expect(await verification.expire(claim.id, admin, null)).toBe(true);
    expect(await verification.expire(claim.id, admin, null)).toBe(false);
    expect(await verification.expire("no-such-claim", admin, null)).toBe(false);
  });
});
