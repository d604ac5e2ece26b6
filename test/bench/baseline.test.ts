import { BaselineServer, startBaselineServer } from "./baseline-server";
import { CLAIM_DOMAIN, DOMAINS_WITH_AUDIT_LOG, REGENERATE_TOKEN } from "./operations";
import { TEST_JWT_SECRET, TestApp, startTestApp } from "../support/test-app";

/**
 * `npm run bench` divides dnsproof's figures by the baseline's; that is honest only while
 * both write the same bytes for the benchmarked operations.
 */
describe("the benchmark's baseline server", () => {
  let t: TestApp;
  let baseline: BaselineServer;
  let token: string;

  const post = async (url: string, query: string, variables: Record<string, unknown>) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, text: await response.text() };
  };

  /** dnsproof's statements, as its statement observer sees them; nothing runs in the background to add its own. */
  let ourStatements: string[] = [];
  const takeOurStatements = () => {
    const taken = ourStatements;
    ourStatements = [];
    return taken;
  };

  beforeAll(async () => {
    t = await startTestApp({
      db: "mariadb",
      env: { MAX_DOMAINS_PER_ACCOUNT: "100", SCHEDULER_ENABLED: "false", WEBHOOK_WORKER_ENABLED: "false" },
      overrides: { onQuery: (sql) => ourStatements.push(sql) },
    });
    baseline = await startBaselineServer({ databaseUrl: t.database.url, jwtSecret: TEST_JWT_SECRET, recordStatements: true });
    token = await t.token("bench-user", { email: "bench@example.com" });
    for (let i = 0; i < 3; i++) {
      const claimed = JSON.parse((await post(t.url, CLAIM_DOMAIN, { name: `d${i}.example.com` })).text).data.claimDomain;
      for (let j = 0; j < 5 * i; j++) await post(t.url, REGENERATE_TOKEN, { id: claimed.domain.id });
    }
    // d2 has 11 entries, one more than a page holds. The baseline writes too; dnsproof must read its rows as its own.
    await post(baseline.url, CLAIM_DOMAIN, { name: "from-baseline.example.com" });
  }, 60_000);
  afterAll(async () => {
    await baseline?.close();
    await t?.close();
  });

  it.each([1, 3, 10])("answers domains(first: %i) with each audit log byte for byte as dnsproof does", async (first) => {
    const [ours, theirs] = [await post(t.url, DOMAINS_WITH_AUDIT_LOG, { first }), await post(baseline.url, DOMAINS_WITH_AUDIT_LOG, { first })];
    expect(ours.status).toBe(200);
    expect(JSON.parse(ours.text).errors).toBeUndefined();
    expect(JSON.parse(ours.text).data.domains.totalCount).toBe(4);
    expect(theirs).toEqual(ours);
  });

  it("answers claimDomain byte for byte as dnsproof does, for names either of them claimed", async () => {
    for (const name of ["d1.example.com", "from-baseline.example.com"]) {
      const [ours, theirs] = [await post(t.url, CLAIM_DOMAIN, { name }), await post(baseline.url, CLAIM_DOMAIN, { name })];
      expect(JSON.parse(ours.text).data.claimDomain).toMatchObject({ created: false, domain: { name } });
      expect(theirs).toEqual(ours);
    }
    const fresh = JSON.parse((await post(baseline.url, CLAIM_DOMAIN, { name: "fresh.example.com" })).text);
    const again = JSON.parse((await post(t.url, CLAIM_DOMAIN, { name: "fresh.example.com" })).text);
    expect(fresh.data.claimDomain).toEqual({ ...again.data.claimDomain, created: true });
  });

  it("sends dnsproof's SQL, statement for statement, in the same order: a claim, an account's first claim, the read", async () => {
    const statementsOf = async (url: string, query: string, variables: Record<string, unknown>, as: string) => {
      token = await t.token(as, { email: `${as}@example.com` });
      takeOurStatements();
      baseline.takeStatementTexts();
      expect((await post(url, query, variables)).status).toBe(200);
      return url === t.url ? takeOurStatements() : baseline.takeStatementTexts();
    };
    const claim = (url: string, as: string, name: string) => statementsOf(url, CLAIM_DOMAIN, { name }, as);

    // The baseline's limit is its own (5 by default): these accounts stay under it.
    const oursFirst = await claim(t.url, "newcomer-1", "first.example.com");
    const ours = await claim(t.url, "newcomer-1", "second.example.com");
    expect(ours.length).toBeGreaterThan(4);
    expect(oursFirst.length).toBeGreaterThan(ours.length);
    expect(await claim(baseline.url, "newcomer-2", "first.example.com")).toEqual(oursFirst);
    expect(await claim(baseline.url, "newcomer-2", "second.example.com")).toEqual(ours);

    // The read's statements run concurrently (its loaders), so their order is not fixed.
    const oursRead = (await statementsOf(t.url, DOMAINS_WITH_AUDIT_LOG, { first: 3 }, "bench-user")).sort();
    expect(oursRead).toHaveLength(3);
    expect((await statementsOf(baseline.url, DOMAINS_WITH_AUDIT_LOG, { first: 3 }, "bench-user")).sort()).toEqual(oursRead);
  });
});
