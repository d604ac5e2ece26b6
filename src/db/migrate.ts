import type { DataSource } from "typeorm";
import { databaseKind } from "./database-kind";

const LOCK_NAME = "dnsproof_migrations";

/**
 * Applies pending migrations. On MySQL several instances may start at once, so they
 * take a named lock and run one after another; the later ones find nothing to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  if (databaseKind(dataSource) !== "mysql") {
    return (await dataSource.runMigrations({ transaction: "each" })).map((m) => m.name);
  }
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    const [{ acquired }] = await runner.query("SELECT GET_LOCK(?, 120) AS acquired", [LOCK_NAME]);
    if (Number(acquired) !== 1) throw new Error("Timed out waiting for another instance to finish migrating");
    try {
      return (await dataSource.runMigrations({ transaction: "each" })).map((m) => m.name);
    } finally {
      await runner.query("SELECT RELEASE_LOCK(?)", [LOCK_NAME]);
    }
  } finally {
    await runner.release();
  }
}
