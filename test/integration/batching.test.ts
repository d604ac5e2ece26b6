import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

/** Proves Domain.auditLog, its counts and AuditEntry.domain are batched: no N+1 as pages grow. */
describe.each(DATABASE_FLAVORS)("per-request batching on %s", (db) => {
  let t: TestApp;
  let statements = 0;
  beforeAll(async () => {
    // Every statement on the data source is counted: the webhook worker's polls would be counted too.
    t = await startTestApp({ db, env: { MAX_DOMAINS_PER_ACCOUNT: "200", WEBHOOK_WORKER_ENABLED: "false" }, overrides: { onQuery: () => statements++ } });
    const claims = Array.from({ length: 100 }, (_, i) => `mutation { c${i}: claimDomain(input: { name: "n${i}.example.com" }) { created } }`);
    for (const claim of claims) await t.gql(claim);
  }, 60_000);
  afterAll(async () => t?.close());

  const statementsFor = async (first: number) => {
    const before = statements;
    const result = await t.gql(
      `query($first: Int!) { domains(first: $first) { totalCount nodes { name status auditLog(first: 5) { totalCount nodes { action actor { type } domain { name } } } } } }`,
      { first },
    );
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.domains.nodes).toHaveLength(first);
    for (const node of result.body.data.domains.nodes) {
      expect(node.auditLog).toMatchObject({ totalCount: 1, nodes: [{ action: "DOMAIN_CLAIMED", domain: { name: node.name } }] });
    }
    return statements - before;
  };

  it("issues the same number of SQL statements for 1, 20 and 100 domains", async () => {
    const counts = [await statementsFor(1), await statementsFor(20), await statementsFor(100)];
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts).toEqual([counts[0], counts[0], counts[0]]);
  });
});
