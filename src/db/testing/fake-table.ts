import { Connection, PageArgs, toConnection } from "../../shared/pagination";

/** What takes part in a fake transaction: it keeps what it held at begin, and returns to it on rollback. */
export interface Transactional {
  begin(): void;
  commit(): void;
  rollback(): void;
}

/**
 * One table in memory, for a feature's fake store. Rows are copied in and out, so a service sees
 * its own changes only after it writes them, as with a database; a rollback returns the table to
 * what the open transaction found, except for changes made through `change` (another writer's).
 */
export class FakeTable<T extends { id: string }> implements Transactional {
  private rows = new Map<string, T>();
  private committed: Map<string, T> | null = null;

  constructor(private readonly copy: (row: T) => T) {}

  /** Puts a row in as it is, bypassing every rule (test set-up). */
  put(row: T): void {
    this.rows.set(row.id, this.copy(row));
  }

  /** The stored row, as a copy. */
  get(id: string): T | undefined {
    const row = this.rows.get(id);
    return row && this.copy(row);
  }

  /** Changes a stored row as another writer's committed transaction would: a rollback of the open one keeps it. */
  change(id: string, fields: Partial<T>): void {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no row ${id}`);
    Object.assign(row, fields);
    const committed = this.committed?.get(id);
    if (committed) Object.assign(committed, fields);
  }

  /** The open transaction's own write to the rows matching `where`; how many it changed. */
  update(where: (row: T) => boolean, fields: Partial<T>): number {
    const matching = [...this.rows.values()].filter(where);
    for (const row of matching) Object.assign(row, fields);
    return matching.length;
  }

  delete(where: (row: T) => boolean): void {
    for (const row of [...this.rows.values()].filter(where)) this.rows.delete(row.id);
  }

  first(where: (row: T) => boolean): T | null {
    return this.all(where)[0] ?? null;
  }

  all(where: (row: T) => boolean = () => true): T[] {
    return [...this.rows.values()].filter(where).map(this.copy);
  }

  count(where: (row: T) => boolean): number {
    return [...this.rows.values()].filter(where).length;
  }

  begin(): void {
    this.committed = new Map([...this.rows].map(([id, row]) => [id, this.copy(row)]));
  }

  commit(): void {
    this.committed = null;
  }

  rollback(): void {
    if (this.committed) this.rows = this.committed;
    this.committed = null;
  }
}

/** A page of `rows` as db/pagination.ts pages a query: (createdAt, id) newest first, after the cursor, with the total. */
export function fakePage<T extends { id: string; createdAt: Date }>(rows: T[], page: PageArgs): Connection<T> {
  const sorted = [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const after = page.after;
  const rest = after
    ? sorted.filter((r) => r.createdAt.getTime() < after.createdAt.getTime() || (r.createdAt.getTime() === after.createdAt.getTime() && r.id < after.id))
    : sorted;
  return toConnection(rest.slice(0, page.first + 1), page, sorted.length);
}
