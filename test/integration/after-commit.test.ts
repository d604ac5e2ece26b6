import { DataSource } from "typeorm";
import { openDataSource } from "../../src/db/data-source";
import { Database } from "../../src/db/database";
import { runMigrations } from "../../src/db/migrate";
import { entities } from "../../src/app/entities";
import { Account } from "../../src/accounts/account.entity";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";

/** Database.afterCommit: what wakes the webhook worker and the event bus, on both databases' real transactions. */
describe.each(DATABASE_FLAVORS)("after commit on %s", (flavor) => {
  let dataSource: DataSource;
  let db: Database;
  let drop: (() => Promise<void>) | undefined;
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

  const account = () => Object.assign(new Account(), { id: `after-commit-${++seq}`, createdAt: new Date() });
  const stored = async (id: string) => Boolean(await dataSource.manager.findOneBy(Account, { id }));

  it("runs once the transaction has committed, when what it wrote can be read, once per key", async () => {
    const ran: string[] = [];
    let readBack: Promise<boolean> | null = null;
    const written = account();
    await db.transaction(async (manager) => {
      await manager.save(written);
      db.afterCommit(manager, "a", () => {
        ran.push("a");
        readBack = stored(written.id);
      });
      db.afterCommit(manager, "a", () => ran.push("a again"));
      db.afterCommit(manager, "b", () => ran.push("b"));
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(["a", "b"]);
    expect(await readBack).toBe(true);
  });

  it("runs once, after the attempt that committed, when a write conflict made the transaction run again", async () => {
    const ran: number[] = [];
    let attempts = 0;
    const deadlock = Object.assign(new Error("Deadlock found when trying to get lock"), { code: "ER_LOCK_DEADLOCK", errno: 1213 });
    await db.transaction(async (manager) => {
      const attempt = ++attempts;
      await manager.save(account());
      db.afterCommit(manager, "signal", () => ran.push(attempt));
      // SQLite runs transactions one at a time and never retries: a conflict there is a real failure.
      if (attempt === 1 && flavor !== "sqlite") throw deadlock;
    });
    expect(ran).toEqual([attempts]);
    expect(attempts).toBe(flavor === "sqlite" ? 1 : 2);
  });

  it("never runs for a transaction that rolled back", async () => {
    let ran = 0;
    await expect(
      db.transaction(async (manager) => {
        await manager.save(account());
        db.afterCommit(manager, "rolled back", () => ran++);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    // The next transaction on a connection the pool hands out again starts with nothing waiting.
    await db.transaction(async (manager) => manager.save(account()));
    expect(ran).toBe(0);
  });

  it("waits for the outer COMMIT, not a savepoint's release", async () => {
    const ran: string[] = [];
    await db.transaction(async (manager) => {
      await manager.transaction(async (inner) => {
        await inner.save(account());
        db.afterCommit(inner, "inner", () => ran.push("inner"));
      });
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(["inner"]);
  });

  it("runs at once outside a transaction, and a signal that throws costs nobody the commit", async () => {
    let ran = 0;
    db.afterCommit(dataSource.manager, "now", () => ran++);
    expect(ran).toBe(1);
    const written = account();
    await db.transaction(async (manager) => {
      await manager.save(written);
      db.afterCommit(manager, "throws", () => {
        throw new Error("a listener's bug");
      });
      db.afterCommit(manager, "after it", () => ran++);
    });
    expect(await stored(written.id)).toBe(true);
    expect(ran).toBe(2);
  });
});
