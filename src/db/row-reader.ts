import type { DataSource, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";

/** Column types whose raw value already is what the entity holds, on every driver we run. */
const AS_STORED = new Set<unknown>(["varchar", "char", "text", String]);

export interface RowReader<T> {
  /** Every column of the entity, escaped for this database, e.g. for `SELECT ${columns} FROM ...`. */
  readonly columns: string;
  /** One raw row (selected with `columns`) as an entity instance, values converted as TypeORM would. */
  read(row: Record<string, unknown>): T;
}

/**
 * For hot reads in raw SQL (a window query TypeORM's query builder cannot express): the
 * select list comes from the entity's metadata, so a column added to the entity is read
 * without touching the query, and rows become instances without TypeORM's hydration
 * (its alias mapping and relation handling cost more than the query for 500 rows).
 */
export function rowReader<T extends ObjectLiteral>(dataSource: DataSource, entity: new () => T): RowReader<T> {
  const { driver } = dataSource;
  const columns = dataSource.getMetadata(entity).columns.map((column: ColumnMetadata) => ({
    column,
    name: column.databaseName,
    property: column.propertyName,
    converted: Boolean(column.transformer) || !AS_STORED.has(column.type),
    // A column of the entity itself (not embedded, not a relation's): setEntityValue would only assign it.
    plain: !column.embeddedMetadata && !column.relationMetadata && !column.isVirtual,
  }));
  return {
    columns: columns.map((c) => driver.escape(c.name)).join(", "),
    read(row) {
      const instance = new entity();
      for (const { column, name, property, converted, plain } of columns) {
        const raw = row[name];
        const value = converted ? driver.prepareHydratedValue(raw, column) : raw;
        if (plain) (instance as Record<string, unknown>)[property] = value;
        else column.setEntityValue(instance, value);
      }
      return instance;
    },
  };
}
