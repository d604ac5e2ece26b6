import mysql from "mysql2";
import { boundFor, DependencyTimeout, type DependencyName } from "../shared/deadline";

type Mysql = typeof mysql;

/** How long one statement, and one wait for a pooled connection, may take; what to tell when either is hit. */
export interface StatementBounds {
  statementMs: number;
  poolAcquireMs: number;
  onTimeout?: (dependency: DependencyName) => void;
}

/**
 * mysql2 as TypeORM's MySQL driver gets it (its `driver` option), with one promise wrapper
 * per pooled connection. TypeORM's query runner calls `connection.promise()` around every
 * statement, and mysql2 answers each call with a require(), a new EventEmitter and its event
 * forwarding: about a tenth of a claim's CPU for eight statements. The wrapper holds nothing
 * but the connection, so the first one serves every later statement on that connection.
 *
 * `sessionSetup` runs on each new pooled connection before anything else it is given: mysql2
 * queues a connection's commands, so no statement of the application overtakes it.
 *
 * With `bounds`, every statement and every wait for a connection is bounded by what is left of
 * the request's deadline (shared/deadline.ts), and by the static bound outside requests.
 */
export function mysqlDriverForTypeOrm(sessionSetup: string[] = [], bounds?: StatementBounds): Mysql {
  const driver: Mysql = Object.create(mysql);
  driver.createPool = ((options: mysql.PoolOptions) => {
    const pool = mysql.createPool(options);
    pool.on("connection", (connection) => {
      reusePromiseWrapper(connection);
      // Sent only where the server has the variable; a connection that broke fails its next statement anyway.
      for (const statement of sessionSetup) connection.query(statement, () => undefined);
      if (bounds) boundStatements(connection, bounds);
    });
    if (bounds) boundAcquisition(pool, bounds);
    return pool;
  }) as Mysql["createPool"];
  return driver;
}

function reusePromiseWrapper(connection: mysql.PoolConnection): void {
  const fresh = connection.promise.bind(connection);
  let wrapper: ReturnType<typeof fresh> | undefined;
  connection.promise = (promiseImpl?: PromiseConstructor) => (promiseImpl ? fresh(promiseImpl) : (wrapper ??= fresh()));
}

type Callback = (error: unknown, ...results: unknown[]) => void;

/**
 * A statement past its bound fails with DependencyTimeout and its connection is destroyed:
 * mysql2's own query timeout leaves the connection busy with the stalled statement, so the
 * ROLLBACK that follows would wait behind it for ever. Closing the socket makes the server roll
 * the transaction back itself, whenever it next runs: nothing is half-written.
 */
function boundStatements(connection: mysql.PoolConnection, bounds: StatementBounds): void {
  const query = connection.query.bind(connection) as (...args: unknown[]) => unknown;
  (connection as { query: unknown }).query = (sql: unknown, values?: unknown, callback?: Callback) => {
    if (typeof values === "function") [callback, values] = [values as Callback, undefined];
    const limitMs = boundFor(bounds.statementMs);
    if (limitMs === Number.POSITIVE_INFINITY) return query(sql, values, callback);
    if (limitMs <= 0) {
      bounds.onTimeout?.("request");
      process.nextTick(() => callback?.(new DependencyTimeout("request", 0)));
      return undefined;
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      bounds.onTimeout?.("database_statement");
      connection.destroy();
      callback?.(new DependencyTimeout("database_statement", limitMs));
    }, limitMs);
    return query(sql, values, (error: unknown, ...results: unknown[]) => {
      clearTimeout(timer);
      if (!timedOut) callback?.(error, ...results);
    });
  };
}

/** mysql2's pool waits for a free connection without end; a wait past its bound fails, and the connection that comes later goes back. */
function boundAcquisition(pool: mysql.Pool, bounds: StatementBounds): void {
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = ((callback: (error: unknown, connection?: mysql.PoolConnection) => void) => {
    const limitMs = boundFor(bounds.poolAcquireMs);
    if (limitMs === Number.POSITIVE_INFINITY) return getConnection(callback);
    if (limitMs <= 0) {
      bounds.onTimeout?.("request");
      process.nextTick(() => callback(new DependencyTimeout("request", 0)));
      return;
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      bounds.onTimeout?.("database_pool");
      callback(new DependencyTimeout("database_pool", limitMs));
    }, limitMs);
    getConnection((error, connection) => {
      clearTimeout(timer);
      if (!timedOut) return callback(error, connection);
      connection?.release();
    });
  }) as mysql.Pool["getConnection"];
}
