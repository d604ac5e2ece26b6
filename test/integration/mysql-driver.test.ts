import { mysqlDriverForTypeOrm } from "../../src/db/mysql-driver";
import { DependencyTimeout, withoutBounds } from "../../src/shared/deadline";
import { MARIADB_SERVER_URL } from "../support/databases";

/** The session set-up a Galera node gets (wsrep_sync_wait), tried with a user variable the single server has too. */
describe("the MySQL driver's session set-up", () => {
  it("runs on every new pooled connection before the application's first statement", async () => {
    const pool = mysqlDriverForTypeOrm(["SET @dnsproof_session = 'ready'"]).createPool({ uri: MARIADB_SERVER_URL, connectionLimit: 3 });
    const read = () =>
      new Promise<string>((resolve, reject) =>
        pool.query("SELECT @dnsproof_session AS value", (error, rows) => (error ? reject(error) : resolve((rows as { value: string }[])[0].value))),
      );
    try {
      expect(await Promise.all([read(), read(), read()])).toEqual(["ready", "ready", "ready"]);
    } finally {
      await new Promise((resolve) => pool.end(resolve));
    }
  });
});

describe("the MySQL driver's statement bound", () => {
  const pool = mysqlDriverForTypeOrm([], { statementMs: 150, poolAcquireMs: 1_000 }).createPool({ uri: MARIADB_SERVER_URL, connectionLimit: 2 });
  /** As TypeORM asks: a pooled connection, then a statement on it. */
  const sleep = (seconds: number) =>
    new Promise<unknown>((resolve, reject) =>
      pool.getConnection((error, connection) => {
        if (error) return reject(error);
        connection.query(`SELECT SLEEP(${seconds}) AS slept`, (failure, rows) => {
          if (!failure) connection.release();
          return failure ? reject(failure) : resolve(rows);
        });
      }),
    );
  afterAll(() => new Promise((resolve) => pool.end(resolve)));

  it("cuts a statement past it outside any request", async () => {
    await expect(sleep(0.6)).rejects.toBeInstanceOf(DependencyTimeout);
  });

  it("does not cut a migration's statements, however long (withoutBounds)", async () => {
    await expect(withoutBounds(() => sleep(0.6))).resolves.toEqual([{ slept: 0 }]);
  });
});
