import { DataSource, EntityManager, SelectQueryBuilder, ObjectLiteral, QueryRunner } from "typeorm";
import { DateUtils } from "typeorm/util/DateUtils";
import type { IsolationLevel } from "typeorm/driver/types/IsolationLevel";
import { DatabaseKind, databaseKind, isGaleraNode } from "./database-kind";
import { ConflictPersisted, RetryDependencies, RetryPolicy, TRANSACTION_RETRIES, withRetries } from "./retry-policy";

const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_ACCESS_DENIED_ERROR",
  "ER_BAD_DB_ERROR",
  "SQLITE_CANTOPEN",
  "SQLITE_IOERR",
  // 1047 on a Galera node that left the cluster or has not joined it yet: "WSREP has not yet prepared node".
  "ER_UNKNOWN_COM_ERROR",
  // A statement or a wait for a connection past its bound (shared/deadline.ts): the server is stalled or overloaded.
  "DEPENDENCY_TIMEOUT",
]);
/**
 * A transaction that lost to another and was rolled back, so running it again whole may pass:
 * a deadlock or a Galera certification failure (1213, SQLSTATE 40001, at any statement or at
 * COMMIT), a Group Replication rollback during commit (3101), a lock wait timeout (1205).
 */
const CONFLICT_CODES = new Set(["ER_LOCK_DEADLOCK", "ER_LOCK_WAIT_TIMEOUT", "ER_TRANSACTION_ROLLBACK_DURING_COMMIT"]);
const CONFLICT_ERRNOS = new Set([1213, 1205, 3101]);
const DUPLICATE_CODES = new Set(["ER_DUP_ENTRY", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"]);

/** What an error wraps: TypeORM's driverError, a cause, graphql-js's originalError (subscriptions) or thrownValue. */
const inner = (e: any) => e.driverError ?? e.cause ?? e.originalError ?? e.thrownValue;

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  // mysql2 can reject with a plain object, which graphql-js wraps as NonErrorThrown with thrownValue.
  for (let e: any = error, depth = 0; e && depth < 5; e = inner(e), depth++) {
    if (typeof e.code === "string") codes.push(e.code);
  }
  return codes;
}

export function causesOf(error: unknown): any[] {
  const causes: any[] = [];
  for (let e: any = error, depth = 0; e && depth < 5; e = inner(e), depth++) causes.push(e);
  return causes;
}

export function isWriteConflict(error: unknown): boolean {
  return causesOf(error).some((e) => CONFLICT_CODES.has(e.code) || CONFLICT_ERRNOS.has(e.errno) || e.sqlState === "40001");
}

/**
 * The database could not be reached (as opposed to a query that was wrong), or could not settle
 * a conflict in every attempt the transaction had: either way, the caller should come back.
 */
export function isUnavailable(error: unknown): boolean {
  return isConnectionError(error) || causesOf(error).some((e) => e instanceof ConflictPersisted);
}

/** The database could not be reached (as opposed to a query that was wrong). */
export function isConnectionError(error: unknown): boolean {
  if (codesOf(error).some((c) => CONNECTION_ERROR_CODES.has(c))) return true;
  const name = (error as any)?.name;
  const message = String((error as any)?.message ?? "");
  return (
    name === "CannotExecuteNotConnectedError" ||
    /connection (is not established|lost|closed)|database connection is not open|pool is closed|Can't add new command when connection is in closed state/i.test(
      message,
    )
  );
}

export function isDuplicateKeyError(error: unknown, indexName?: string): boolean {
  if (!codesOf(error).some((c) => DUPLICATE_CODES.has(c))) return false;
  if (!indexName) return true;
  const message = String((error as any)?.message ?? "") + String((error as any)?.driverError?.message ?? "");
  // SQLite names the columns rather than the index.
  return message.includes(indexName) || !message.includes("UQ_");
}

/**
 * The database as the services use it: transactions that serialize on SQLite
 * (one shared connection, so concurrent transactions would otherwise interleave)
 * and that run again whole on MySQL when they lose a write conflict (isWriteConflict).
 */
export class Database {
  readonly kind: DatabaseKind;
  /** A Galera cluster node, where answering a query does not mean being able to serve one (see ping). */
  private readonly galera: boolean;
  private sqliteQueue: Promise<unknown> = Promise.resolve();
  /** What waits for each open transaction's COMMIT, by key so that a signal registered twice is given once. */
  private readonly committed = new WeakMap<QueryRunner, Map<string, () => void>>();

  constructor(
    readonly dataSource: DataSource,
    private readonly retries: { policy?: RetryPolicy; dependencies?: Partial<RetryDependencies> } = {},
  ) {
    this.kind = databaseKind(dataSource);
    this.galera = isGaleraNode(dataSource);
    dataSource.subscribers.push({
      afterTransactionCommit: ({ queryRunner }) => {
        // A released savepoint fires this too; only the outer COMMIT makes the writes visible.
        if (queryRunner.isTransactionActive) return;
        const waiting = this.committed.get(queryRunner);
        if (!waiting) return;
        this.committed.delete(queryRunner);
        for (const run of waiting.values()) runSafely(run);
      },
      afterTransactionRollback: ({ queryRunner }) => {
        if (!queryRunner.isTransactionActive) this.committed.delete(queryRunner);
      },
    });
  }

  /**
   * Runs `run` once the transaction `manager` works in has committed, never before (whoever
   * it wakes would read nothing yet), and not at all if it rolls back. Outside a transaction
   * the writes are committed already and `run` runs at once. One key registered several
   * times in a transaction runs once. `run` is a signal: what it throws is dropped, as the
   * COMMIT it follows has happened.
   */
  afterCommit(manager: EntityManager, key: string, run: () => void): void {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) {
      runSafely(run);
      return;
    }
    let waiting = this.committed.get(runner);
    if (!waiting) this.committed.set(runner, (waiting = new Map()));
    if (!waiting.has(key)) waiting.set(key, run);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * `isolation` applies on MySQL only: SQLite transactions are serializable anyway. `work` may
   * run several times on MySQL, each time in a fresh transaction, so it must do nothing outside
   * the database: what it registers with afterCommit runs once, after the attempt that committed.
   * A conflict that outlasts every attempt rejects with ConflictPersisted.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    if (this.kind === "sqlite") {
      const run = this.sqliteQueue.then(() => this.dataSource.transaction(work));
      this.sqliteQueue = run.catch(() => undefined);
      return run;
    }
    return withRetries(
      () => (isolation ? this.dataSource.transaction(isolation, work) : this.dataSource.transaction(work)),
      isWriteConflict,
      this.retries.policy ?? TRANSACTION_RETRIES,
      this.retries.dependencies,
    );
  }

  /** A Date as raw SQL on this database compares it: SQLite keeps datetimes as UTC text. */
  dateParameter(date: Date): Date | string {
    return this.kind === "sqlite" ? DateUtils.mixedDateToUtcDatetimeString(date) : date;
  }

  /** Row locks where the database has them; SQLite needs none, as its transactions already run one at a time. */
  forUpdate<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
    return this.kind === "mysql" ? qb.setLock("pessimistic_write") : qb;
  }

  /**
   * For /readyz: true when the database answers within `timeoutMs` and, on a Galera node, the node
   * can serve the application. A node that is joining, or cut off from the cluster's primary
   * component, still answers `SELECT 1` (a statement without tables is allowed there) while it
   * refuses every table with 1047, so its own state is what counts.
   */
  async ping(timeoutMs = PING_TIMEOUT_MS): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    // A stalled server or a connection attempt that hangs must not hold /readyz (and whoever polls it) with it.
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.answers(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async answers(): Promise<boolean> {
    try {
      if (!this.galera) {
        await this.dataSource.query("SELECT 1");
        return true;
      }
      return galeraNodeServes(await this.dataSource.query(GALERA_STATE));
    } catch {
      return false;
    }
  }
}

const PING_TIMEOUT_MS = 2000;
const GALERA_STATE = "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment')";

/**
 * Whether a Galera node whose status rows these are serves the application: ready (in the primary
 * component, with its state applied) and Synced. A Joiner or Joined node is still catching up, and a
 * Donor may hold every write while it sends a snapshot (rsync SST), as the usual clustercheck
 * script judges it.
 */
export function galeraNodeServes(rows: { Variable_name: string; Value: string }[]): boolean {
  const status = new Map(rows.map((row) => [row.Variable_name.toLowerCase(), String(row.Value)]));
  return status.get("wsrep_ready")?.toUpperCase() === "ON" && status.get("wsrep_local_state_comment") === "Synced";
}

function runSafely(run: () => void): void {
  try {
    run();
  } catch {
    // A wake-up signal that failed: the poll that backs every signal catches up.
  }
}
