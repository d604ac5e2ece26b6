/**
 * Replays the review's stored-evidence flood: a 14 KB TXT RRset at the record host was stored
 * whole, on the claim and in the audit entry, for every check. Real verifier, bind9 over TCP.
 */
import { startBind9, type Bind9Server } from "../support/bind9";
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

let dns: Bind9Server;
beforeAll(async () => {
  dns = await startBind9({ zones: [{ name: "flood.test" }] });
});
afterAll(async () => dns?.stop());

describe.each(DATABASE_FLAVORS)("stored evidence on %s", (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ db, env: { DNS_SERVERS: dns.server, DNS_TIMEOUT_MS: "2000" } });
  });
  afterAll(async () => t?.close());

  it("keeps at most 10 values per vantage point, 512 characters each, marked as cut", async () => {
    const name = `c${db}${process.pid}.flood.test`;
    const claimed = await t.gql(`mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { host value } } } }`, { name });
    const { id, txtRecord } = claimed.body.data.claimDomain.domain;
    // 40 values of 250 characters and one of 4,000 (in 16 strings): about 14 KB.
    const values = Array.from({ length: 40 }, (_, i) => `"v${i}-${"x".repeat(246)}"`);
    const long = Array.from({ length: 16 }, () => `"${"y".repeat(250)}"`).join(" ");
    await dns.update("flood.test", [...values.map((v) => `update add ${txtRecord.host}. 60 TXT ${v}`), `update add ${txtRecord.host}. 60 TXT ${long}`]);

    const verified = await t.gql(`mutation($id: ID!) { verifyDomain(input: { id: $id }) { check { outcome foundValues message servers { values } } } }`, { id });
    const check = verified.body.data.verifyDomain.check;
    expect(check.outcome).toBe("VALUE_MISMATCH");
    for (const kept of [check.foundValues, check.servers[0].values]) {
      expect(kept).toHaveLength(10);
      expect(kept[9]).toBe("… [cut: 32 more values not kept]");
      for (const value of kept) expect(value.length).toBeLessThanOrEqual(512);
    }
    expect(check.message.length).toBeLessThan(1000);

    const stored = await t.gql(`query($id: ID!) { domain(id: $id) { lastCheck { servers { values } } auditLog(first: 1) { nodes { check { foundValues servers { values } } } } } }`, { id });
    const { lastCheck, auditLog } = stored.body.data.domain;
    expect(lastCheck.servers[0].values).toEqual(check.servers[0].values);
    expect(auditLog.nodes[0].check.foundValues).toEqual(check.foundValues);
    expect(JSON.stringify(stored.body).length).toBeLessThan(15_000);
  });
});
