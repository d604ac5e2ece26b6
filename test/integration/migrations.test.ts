import { openDataSource } from "../../src/db/data-source";
import { entities } from "../../src/app/entities";
import { MigrationLock, runMigrations } from "../../src/db/migrate";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";
import { migrations } from "../../migrations";
import { reversedName } from "../../src/shared/domain-scope";

describe.each(DATABASE_FLAVORS)("migrations on %s", (flavor) => {
  it("create exactly the schema the entities describe, and run once", async () => {
    const database = await createScratchDatabase(flavor);
    const dataSource = await openDataSource(database.url, { entities });
    try {
      expect((await runMigrations(dataSource)).length).toBeGreaterThan(0);
      expect(await runMigrations(dataSource)).toEqual([]);
      const drift = await dataSource.driver.createSchemaBuilder().log();
      expect(drift.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });

  it("roll back cleanly", async () => {
    const database = await createScratchDatabase(flavor);
    const dataSource = await openDataSource(database.url, { entities });
    try {
      const applied = await runMigrations(dataSource);
      for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration();
      const runner = dataSource.createQueryRunner();
      for (const table of ["accounts", "domains", "audit_entries", "certificates"]) expect(await runner.hasTable(table)).toBe(false);
      await runner.release();
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

describe.each(DATABASE_FLAVORS)("the migration lock on %s", (flavor) => {
  const quick = { leaseMs: 60_000, renewEveryMs: 10_000, pollMs: 20, waitMs: 300 };

  it("lets three instances started together migrate once", async () => {
    const database = await createScratchDatabase(flavor);
    const sources = await Promise.all([1, 2, 3].map(() => openDataSource(database.url, { entities })));
    try {
      const applied = await Promise.all(sources.map((source) => runMigrations(source)));
      expect(applied.flat().sort()).toEqual(migrations.map((m) => m.name).sort());
      const [{ n }] = await sources[0].query("SELECT COUNT(*) AS n FROM dnsproof_migration_lock");
      expect(Number(n)).toBe(0);
    } finally {
      for (const source of sources) await source.destroy();
      await database.drop();
    }
  });

  it("waits while another instance holds the lock, and takes it over once that lock expired", async () => {
    const database = await createScratchDatabase(flavor);
    const dataSource = await openDataSource(database.url, { entities });
    try {
      const holder = new MigrationLock(dataSource, quick);
      await holder.acquire();
      await expect(runMigrations(dataSource, quick)).rejects.toThrow(/waiting for another instance to finish migrating/);
      // The holder died without releasing: its expiry passes and the next instance proceeds.
      await dataSource.query("UPDATE dnsproof_migration_lock SET expiresAt = ?", [Date.now() - 1]);
      expect(await holder.renew()).toBe(true);
      await dataSource.query("UPDATE dnsproof_migration_lock SET expiresAt = ?", [Date.now() - 1]);
      expect((await runMigrations(dataSource, quick)).length).toBeGreaterThan(0);
      expect(await holder.renew()).toBe(false);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

describe.each(DATABASE_FLAVORS)("the admin-secret keys migration on %s", (flavor) => {
  it("marks only ADMIN_SECRET's own keys, and forgets every stored e-mail", async () => {
    const database = await createScratchDatabase(flavor);
    const dataSource = await openDataSource(database.url, { entities });
    try {
      await runMigrations(dataSource);
      // Back to just before this migration, however many came after it.
      const later = migrations.slice(migrations.findIndex((m) => m.name === "AdminSecretKeys1766000000008"));
      for (const _ of later) await dataSource.undoLastMigration();
      const insert = `INSERT INTO api_keys (id, accountId, name, prefix, secretHash, createdBy, createdByEmail, createdByAdmin, createdAt)
                      VALUES (?, ?, 'k', 'dpk_x', ?, ?, ?, ?, '2026-11-01 00:00:00.000')`;
      await dataSource.query(insert, ["k1", "admin", "h1", "admin-secret", null, true]);
      // A person whose "sub" was "admin-secret", in an account of their own.
      await dataSource.query(insert, ["k2", "admin-secret", "h2", "admin-secret", "kim@example.com", true]);
      await dataSource.query(insert, ["k3", "acme", "h3", "u1", "u1@acme.test", false]);
      expect(await runMigrations(dataSource)).toEqual(later.map((m) => m.name));
      const rows: { id: string; createdBy: string | null; createdByEmail: string | null; createdByAdminSecret: unknown }[] = await dataSource.query(
        "SELECT id, createdBy, createdByEmail, createdByAdminSecret FROM api_keys ORDER BY id",
      );
      expect(rows.map((r) => [r.id, r.createdBy, r.createdByEmail, Boolean(Number(r.createdByAdminSecret))])).toEqual([
        ["k1", null, null, true],
        ["k2", "admin-secret", null, false],
        ["k3", "u1", null, false],
      ]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

describe.each(DATABASE_FLAVORS)("the token-issued-at migration on %s", (flavor) => {
  it("gives existing claims the issue time TOKEN_TTL_DAYS before their expiry, to the millisecond", async () => {
    const database = await createScratchDatabase(flavor);
    const dataSource = await openDataSource(database.url, { entities });
    try {
      await runMigrations(dataSource);
      const later = migrations.slice(migrations.findIndex((m) => m.name === "TokenIssuedAt1767000000000"));
      for (const _ of later) await dataSource.undoLastMigration();
      await dataSource.query(
        `INSERT INTO domains (id, accountId, name, status, token, previousTokens, tokenExpiresAt, createdAt, updatedAt)
         VALUES ('d1', 'acme', 'example.com', 'PENDING', 't', '[]', '2026-12-31 10:00:00.250', '2026-12-01 10:00:00.250', '2026-12-01 10:00:00.250')`,
      );
      expect(await runMigrations(dataSource)).toEqual(later.map((m) => m.name));
      const [row]: { tokenIssuedAt: string | Date }[] = await dataSource.query("SELECT tokenIssuedAt FROM domains WHERE id = 'd1'");
      const issued = row.tokenIssuedAt instanceof Date ? row.tokenIssuedAt.toISOString() : `${row.tokenIssuedAt.replace(" ", "T")}Z`;
      // No TOKEN_TTL_DAYS in the test environment: the default 30 days.
      expect(issued).toBe("2026-12-01T10:00:00.250Z");
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

describe.each(DATABASE_FLAVORS)("the reversed-name migration on %s", (flavor) => {
  it("fills every existing claim's reversed name, past one batch, and then requires it", async () => {
    const database = await createScratchDatabase(flavor);
    const dataSource = await openDataSource(database.url, { entities });
    try {
      await runMigrations(dataSource);
      const later = migrations.slice(migrations.findIndex((m) => m.name === "DomainNameReversed1769100000000"));
      for (const _ of later) await dataSource.undoLastMigration();
      // One more claim than a batch of the backfill holds, so the second batch runs too.
      const claims = Array.from({ length: 1_001 }, (_, i) => [`d-${String(i).padStart(5, "0")}`, i % 2 ? `n${i}.example.com` : `a.b${i}.example.org`]);
      const values = claims.map(([id, name]) => `('${id}', 'acme', '${name}', 'PENDING', 't', '[]', '2026-12-01 10:00:00.000', '2026-12-31 10:00:00.000', '2026-12-01 10:00:00.000', '2026-12-01 10:00:00.000')`);
      await dataSource.query(
        `INSERT INTO domains (id, accountId, name, status, token, previousTokens, tokenIssuedAt, tokenExpiresAt, createdAt, updatedAt) VALUES ${values.join(", ")}`,
      );
      expect(await runMigrations(dataSource)).toEqual(later.map((m) => m.name));
      const rows: { id: string; nameReversed: string }[] = await dataSource.query("SELECT id, nameReversed FROM domains ORDER BY id");
      expect(rows.map((r) => [r.id, r.nameReversed])).toEqual(claims.map(([id, name]) => [id, reversedName(name)]));
      await expect(
        dataSource.query(
          `INSERT INTO domains (id, accountId, name, status, token, previousTokens, tokenIssuedAt, tokenExpiresAt, createdAt, updatedAt)
           VALUES ('late', 'acme', 'late.example.com', 'PENDING', 't', '[]', '2026-12-01 10:00:00.000', '2026-12-31 10:00:00.000', '2026-12-01 10:00:00.000', '2026-12-01 10:00:00.000')`,
        ),
      ).rejects.toThrow(/nameReversed/);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});
