import type { DataSource } from "typeorm";
import { Database, galeraNodeServes } from "./database";
import { markGaleraNode } from "./database-kind";

const status = (ready: string, state: string) => [
  { Variable_name: "wsrep_local_state_comment", Value: state },
  { Variable_name: "wsrep_ready", Value: ready },
];

/** Just what Database reads of a data source: its type, its subscribers, and the answer to one query. */
function dataSourceAnswering(query: (sql: string) => Promise<unknown>, galera = false): { dataSource: DataSource; asked: string[] } {
  const asked: string[] = [];
  const dataSource = { options: { type: "mariadb" }, subscribers: [], query: (sql: string) => (asked.push(sql), query(sql)) } as unknown as DataSource;
  if (galera) markGaleraNode(dataSource);
  return { dataSource, asked };
}

describe("galeraNodeServes", () => {
  it("serves only when the node is ready and Synced", () => {
    expect(galeraNodeServes(status("ON", "Synced"))).toBe(true);
    expect(galeraNodeServes(status("OFF", "Synced"))).toBe(false);
    expect(galeraNodeServes(status("ON", "Joined"))).toBe(false);
    expect(galeraNodeServes(status("OFF", "Joining: receiving State Transfer"))).toBe(false);
    expect(galeraNodeServes(status("ON", "Donor/Desynced"))).toBe(false);
    expect(galeraNodeServes(status("OFF", "Initialized"))).toBe(false);
  });

  it("does not serve when the rows are missing, as on a server without wsrep", () => {
    expect(galeraNodeServes([])).toBe(false);
  });
});

describe("Database.ping", () => {
  it("is true when a server without Galera answers a trivial query", async () => {
    const { dataSource, asked } = dataSourceAnswering(async () => [{ 1: 1 }]);
    expect(await new Database(dataSource).ping()).toBe(true);
    expect(asked).toEqual(["SELECT 1"]);
  });

  it("is false when the query fails, as when the server is gone", async () => {
    const { dataSource } = dataSourceAnswering(async () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })));
    expect(await new Database(dataSource).ping()).toBe(false);
  });

  it("is false within its deadline when the server never answers", async () => {
    const { dataSource } = dataSourceAnswering(() => new Promise(() => undefined));
    const started = Date.now();
    expect(await new Database(dataSource).ping(50)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("asks a Galera node for its state rather than whether it answers, and is false while it is not Synced", async () => {
    let rows = status("OFF", "Joining: receiving State Transfer");
    const { dataSource, asked } = dataSourceAnswering(async () => rows, true);
    const db = new Database(dataSource);
    expect(await db.ping()).toBe(false);
    rows = status("ON", "Synced");
    expect(await db.ping()).toBe(true);
    expect(asked.every((sql) => /wsrep_ready/.test(sql))).toBe(true);
  });
});
