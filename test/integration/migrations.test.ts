import { openDataSource } from "../../src/db/data-source";
import { runMigrations } from "../../src/db/migrate";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";

describe.each(DATABASE_FLAVORS)("migrations on %s", (flavor) => {
  it("create exactly the schema the entities describe, and run once", async () => {
    const database = await createScratchDatabase(flavor);
    const dataSource = await openDataSource(database.url);
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
    const dataSource = await openDataSource(database.url);
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
