/**
 * A rule about rows written once and read two ways: `matches` for rows in hand, `toSql` for
 * a WHERE clause, so a query never drifts from the TypeScript twin it stands for.
 */

/** A date column compared with the instant the rule is asked about (now, a cleanup cutoff). */
export interface DateComparison<Column extends string> {
  column: Column;
  /** `<=`: at or before the instant; `>`: after it. */
  op: "<=" | ">";
}

/** A row holds this clause when its status is one of `statuses` and the comparison, if any, holds. */
export interface RuleClause<Status extends string, Column extends string> {
  statuses: readonly Status[];
  compare?: DateComparison<Column>;
}

/** Holds when any of its clauses does. */
export type RowRule<Status extends string, Column extends string> = readonly RuleClause<Status, Column>[];

export type RuleRow<Status extends string, Column extends string> = { status: Status } & { [C in Column]: Date };

export interface SqlCondition {
  sql: string;
  params: Record<string, unknown>;
}

export function matches<S extends string, C extends string>(rule: RowRule<S, C>, row: RuleRow<S, C>, at: Date): boolean {
  return rule.some(
    (clause) =>
      clause.statuses.includes(row.status) &&
      (!clause.compare || compareDates(row[clause.compare.column].getTime(), clause.compare.op, at.getTime())),
  );
}

/** The rule as a parenthesised condition on `alias`; parameter names start with `name`, so several rules fit one query. */
export function toSql<S extends string, C extends string>(rule: RowRule<S, C>, alias: string, at: Date, name: string): SqlCondition {
  const params: Record<string, unknown> = { [`${name}At`]: at };
  const clauses = rule.map((clause, i) => {
    const statuses = `${name}Statuses${i}`;
    params[statuses] = [...clause.statuses];
    const status = `${alias}.status IN (:...${statuses})`;
    return clause.compare ? `(${status} AND ${alias}.${clause.compare.column} ${clause.compare.op} :${name}At)` : `(${status})`;
  });
  return { sql: `(${clauses.join(" OR ")})`, params };
}

/** The comparison that holds exactly when `comparison` does not (the columns are never NULL). */
export function opposite<C extends string>(comparison: DateComparison<C>): DateComparison<C> {
  return { column: comparison.column, op: comparison.op === "<=" ? ">" : "<=" };
}

function compareDates(value: number, op: DateComparison<string>["op"], at: number): boolean {
  return op === "<=" ? value <= at : value > at;
}
