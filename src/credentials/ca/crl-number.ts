import type { Database } from "../../db/database";

/** The row of the `counters` table (migrations/1767100000000-crl-numbers.ts) CRL numbers come from. */
const COUNTER = "crlNumber";

// One more than the last number, or the time in milliseconds if that is larger: numbers keep
// increasing past those of versions that used thisUpdate, and stay roughly readable as a time.
const NEXT = "CASE WHEN value + 1 > ? THEN value + 1 ELSE ? END";

/**
 * The next CRL number, drawn from the database so that every instance sharing it gets a different,
 * larger one: two different CRLs never carry the same number. On SQLite one UPDATE ... RETURNING
 * is atomic; MySQL/MariaDB have no RETURNING on UPDATE, so the row lock the UPDATE takes holds
 * until the SELECT in the same transaction has read the value.
 */
export async function nextCrlNumber(db: Database, now: Date): Promise<number> {
  const floor = now.getTime();
  if (db.kind === "sqlite") {
    const rows: { value: number | string }[] = await db.manager.query(`UPDATE counters SET value = ${NEXT} WHERE name = ? RETURNING value`, [floor, floor, COUNTER]);
    return valueOf(rows);
  }
  return db.transaction(async (manager) => {
    await manager.query(`UPDATE counters SET value = ${NEXT} WHERE name = ?`, [floor, floor, COUNTER]);
    return valueOf(await manager.query("SELECT value FROM counters WHERE name = ?", [COUNTER]));
  });
}

function valueOf(rows: { value: number | string }[]): number {
  const value = rows[0]?.value;
  // The migration writes the row; without it the schema is not this version's.
  if (value === undefined) throw new Error(`The counters table has no "${COUNTER}" row: run the migrations`);
  return Number(value);
}
