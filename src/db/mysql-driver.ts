import mysql from "mysql2";

type Mysql = typeof mysql;

/**
 * mysql2 as TypeORM's MySQL driver gets it (its `driver` option), with one promise wrapper
 * per pooled connection. TypeORM's query runner calls `connection.promise()` around every
 * statement, and mysql2 answers each call with a require(), a new EventEmitter and its event
 * forwarding: about a tenth of a claim's CPU for eight statements. The wrapper holds nothing
 * but the connection, so the first one serves every later statement on that connection.
 *
 * `sessionSetup` runs on each new pooled connection before anything else it is given: mysql2
 * queues a connection's commands, so no statement of the application overtakes it.
 */
export function mysqlDriverForTypeOrm(sessionSetup: string[] = []): Mysql {
  const driver: Mysql = Object.create(mysql);
  driver.createPool = ((options: mysql.PoolOptions) => {
    const pool = mysql.createPool(options);
    pool.on("connection", (connection) => {
      reusePromiseWrapper(connection);
      // Sent only where the server has the variable; a connection that broke fails its next statement anyway.
      for (const statement of sessionSetup) connection.query(statement, () => undefined);
    });
    return pool;
  }) as Mysql["createPool"];
  return driver;
}

function reusePromiseWrapper(connection: mysql.PoolConnection): void {
  const fresh = connection.promise.bind(connection);
  let wrapper: ReturnType<typeof fresh> | undefined;
  connection.promise = (promiseImpl?: PromiseConstructor) => (promiseImpl ? fresh(promiseImpl) : (wrapper ??= fresh()));
}
