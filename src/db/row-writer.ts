import type { DataSource, EntityManager, ObjectLiteral } from "typeorm";

export interface RowWriter<T> {
  /** Inserts one entity in the caller's transaction: one prepared statement, its values converted as TypeORM would. */
  insert(manager: EntityManager, row: T): Promise<void>;
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
  const sql = `INSERT INTO ${driver.escape(metadata.tablePath)} (${columns.map((c) => driver.escape(c.databaseName)).join(", ")}) VALUES (${columns
    .map(() => "?")
    .join(", ")})`;
  return {
    async insert(manager, row) {
      // preparePersistentValue applies the column's transformer, then the driver's own conversion (dates, JSON).
      await manager.query(
        sql,
        columns.map((column) => driver.preparePersistentValue(column.getEntityValue(row), column) ?? null),
      );
    },
  };
}
