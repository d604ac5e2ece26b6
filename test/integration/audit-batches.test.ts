import { DataSource, EntityManager } from "typeorm";
import { openDataSource } from "../../src/db/data-source";
import { Database } from "../../src/db/database";
import { runMigrations } from "../../src/db/migrate";
import { entities } from "../../src/app/entities";
import { AuditLog, AuditRecord, ENTRIES_PER_INSERT } from "../../src/audit/audit-log";
import type { AuditEntry } from "../../src/audit/audit-entry.entity";
import { AuditAction, SYSTEM_ACTOR } from "../../src/audit/audit.types";
import { ManualClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";

/** AuditLog.recordMany on both databases' real transactions: what the sweep and cleanup write their entries with. */
describe.each(DATABASE_FLAVORS)("audit entries recorded many at a time on %s", (flavor) => {
  let dataSource: DataSource;
  let db: Database;
  let drop: (() => Promise<void>) | undefined;
  // A clock that does not move: every entry has the same time, so only the ids can keep their order.
  const clock = new ManualClock();
  let seq = 0;

  beforeAll(async () => {
    const scratch = await createScratchDatabase(flavor);
    drop = () => scratch.drop();
    dataSource = await openDataSource(scratch.url, { entities });
    await runMigrations(dataSource);
    db = new Database(dataSource);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await drop?.();
  });

  const records = (accountId: string, n: number): AuditRecord[] =>
    Array.from({ length: n }, (_, i) => ({
      accountId,
      domain: { id: `${accountId}-d${i % 7}`, name: `d${i % 7}.example.com` },
      action: AuditAction.DOMAIN_REMOVED,
      actor: SYSTEM_ACTOR,
      message: `entry ${i}`,
      previousStatus: null,
      newStatus: null,
    }));
  const inserts = (spy: jest.SpyInstance) => spy.mock.calls.filter(([sql]) => /^INSERT INTO\s+\W?audit_entries/i.test(sql)).length;

  it("writes a batch in multi-row INSERTs of at most ENTRIES_PER_INSERT, in the order given, and gives the listeners the whole batch once", async () => {
    const audit = new AuditLog(db, clock);
    const seen: AuditEntry[][] = [];
    audit.addListener(async (_manager, entries) => void seen.push([...entries]));
    const accountId = `batch-${++seq}`;
    const n = 2 * ENTRIES_PER_INSERT + 3;
    let statements!: jest.SpyInstance;
    const written = await db.transaction(async (manager: EntityManager) => {
      statements = jest.spyOn(manager, "query");
      return audit.recordMany(manager, records(accountId, n));
    });

    expect(inserts(statements)).toBe(3);
    expect(written.map((entry) => entry.message)).toEqual(records(accountId, n).map((record) => record.message));
    expect(seen).toEqual([written]);
    const stored = await audit.listAfter({ accountId }, null, n + 1);
    expect(stored.map((entry) => entry.id)).toEqual(written.map((entry) => entry.id));
    expect(stored.map((entry) => entry.message)).toEqual(written.map((entry) => entry.message));
  });

  it("records one entry as a batch of one: one single-row INSERT, the listeners called with it", async () => {
    const audit = new AuditLog(db, clock);
    const seen: AuditEntry[][] = [];
    audit.addListener(async (_manager, entries) => void seen.push([...entries]));
    const [record] = records(`one-${++seq}`, 1);
    let statements!: jest.SpyInstance;
    const entry = await db.transaction(async (manager) => {
      statements = jest.spyOn(manager, "query");
      return audit.record(manager, record);
    });
    expect(inserts(statements)).toBe(1);
    expect(statements.mock.calls[0][0]).not.toMatch(/\), \(/);
    expect(seen).toEqual([[entry]]);
    expect(await audit.findInAccount(record.accountId, entry.id)).toMatchObject({ message: record.message, action: record.action });
  });

  it("orders what a listener records after the batch that caused it, and rolls all of it back with the transaction", async () => {
    const audit = new AuditLog(db, clock);
    const accountId = `nested-${++seq}`;
    // As the certificates' listener does: entries of its own, recorded from inside the batch's listener.
    audit.addListener(async (manager, entries) => {
      const causes = entries.filter((entry) => entry.action === AuditAction.DOMAIN_REMOVED);
      if (causes.length) {
        await audit.recordMany(manager, causes.map((cause) => ({ ...records(accountId, 1)[0], action: AuditAction.CERTIFICATE_REVOKED, message: `after ${cause.message}` })));
      }
    });
    await db.transaction((manager) => audit.recordMany(manager, records(accountId, 3)));
    const stored = await audit.listAfter({ accountId }, null, 10);
    expect(stored.map((entry) => entry.message)).toEqual(["entry 0", "entry 1", "entry 2", "after entry 0", "after entry 1", "after entry 2"]);

    const rolledBack = `rolled-back-${++seq}`;
    await expect(
      db.transaction(async (manager) => {
        await audit.recordMany(manager, records(rolledBack, 4));
        throw new Error("the change failed after its entries");
      }),
    ).rejects.toThrow("the change failed");
    expect(await audit.listAfter({ accountId: rolledBack }, null, 10)).toEqual([]);
  });

  it("writes nothing and calls no listener for an empty batch", async () => {
    const audit = new AuditLog(db, clock);
    const listener = jest.fn(async () => undefined);
    audit.addListener(listener);
    expect(await db.transaction((manager) => audit.recordMany(manager, []))).toEqual([]);
    expect(listener).not.toHaveBeenCalled();
  });
});
