import type { DataSource, EntityManager, ObjectLiteral } from "typeorm";

export interface RowWriter<T> {
  /** Inserts one entity in the caller's transaction: one prepared statement, its values converted as TypeORM would. */
  insert(manager: EntityManager, row: T): Promise<void>;
  /** Inserts the rows in one multi-row statement, in their order; for one row the very statement `insert` sends. */
  insertMany(manager: EntityManager, rows: readonly T[]): Promise<void>;
}

/**
 * For the hot writes (a claim and its audit entry): the INSERT's text is built once from the
 * entity's metadata, so a column added to the entity is written without touching it, and each
 * insert skips TypeORM's query building and result mapping, which cost more than the statement.
 */
export function rowWriter<T extends ObjectLiteral>(dataSource: DataSource, entity: new () => T): RowWriter<T> {
  const { driver } = dataSource;
  const metadata = dataSource.getMetadata(entity);
  const columns = metadata.columns;
  const head = `INSERT INTO ${driver.escape(metadata.tablePath)} (${columns.map((c) => driver.escape(c.databaseName)).join(", ")}) VALUES `;
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const sql = head + tuple;
  // preparePersistentValue applies the column's transformer, then the driver's own conversion (dates, JSON).
  const valuesOf = (row: T) => columns.map((column) => driver.preparePersistentValue(column.getEntityValue(row), column) ?? null);
  return {
    async insert(manager, row) {
      await manager.query(sql, valuesOf(row));
    },
    async insertMany(manager, rows) {
      if (rows.length === 0) return;
      await manager.query(rows.length === 1 ? sql : head + Array(rows.length).fill(tuple).join(", "), rows.flatMap(valuesOf));
    },
  };
}
