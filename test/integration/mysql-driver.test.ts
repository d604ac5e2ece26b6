import { mysqlDriverForTypeOrm } from "../../src/db/mysql-driver";
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
