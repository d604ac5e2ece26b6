import mysql from "mysql2";

type Mysql = typeof mysql;

/**
 * mysql2 as TypeORM's MySQL driver gets it (its `driver` option), with one promise wrapper
 * per pooled connection. TypeORM's query runner calls `connection.promise()` around every
 * statement, and mysql2 answers each call with a require(), a new EventEmitter and its event
 * forwarding: about a tenth of a claim's CPU for eight statements. The wrapper holds nothing
 * but the connection, so the first one serves every later statement on that connection.
 */
export function mysqlDriverForTypeOrm(): Mysql {
  const driver: Mysql = Object.create(mysql);
  driver.createPool = ((options: mysql.PoolOptions) => {
    const pool = mysql.createPool(options);
    pool.on("connection", (connection) => reusePromiseWrapper(connection));
    return pool;
  }) as Mysql["createPool"];
  return driver;
}

function reusePromiseWrapper(connection: mysql.PoolConnection): void {
  const fresh = connection.promise.bind(connection);
  let wrapper: ReturnType<typeof fresh> | undefined;
  connection.promise = (promiseImpl?: PromiseConstructor) => (promiseImpl ? fresh(promiseImpl) : (wrapper ??= fresh()));
}
