/**
 * Replays the review's query-cost attacks: connections that select only scalars, thousands of
 * aliases, and a batch of operations each just under the limit. Every refusal comes before any
 * SQL runs, and fast.
 */
import { ManualClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";

/** Statements are counted: no background worker may poll the database meanwhile. */
const QUIET = { WEBHOOK_WORKER_ENABLED: "false" };

/** The frontends' list query (the read the benchmark measures), and the largest page of domains with each one's latest audit entries. */
const FRONTEND_QUERIES = [
  `{ domains(first: 50) { totalCount edges { cursor node { id name status verified txtRecord { host value } auditLog(first: 10) { totalCount nodes { id action createdAt actor { type id } } } } } pageInfo { hasNextPage endCursor } } }`,
  `{ domains(first: 100) { totalCount nodes { id name unicodeName status verified lastCheck { outcome message hints servers { server answer values } } auditLog(first: 10) { totalCount edges { cursor node { id action message createdAt actor { type id email } } } pageInfo { hasNextPage endCursor } } } pageInfo { hasNextPage endCursor } } }`,
];

const aliasedCounts = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: auditLog(first: 100) { totalCount }`).join(" ")} }`;

describe.each(DATABASE_FLAVORS)("query cost on %s", (db) => {
  let t: TestApp;
  let statements = 0;
  const clock = new ManualClock();

  beforeAll(async () => {
    // The token and selection limits would refuse the alias attack before its aliases are counted; they have their own test (anonymous-parse-cost).
    t = await startTestApp({ db, env: { ...QUIET, GRAPHQL_MAX_TOKENS: "100000", GRAPHQL_MAX_SELECTIONS: "100000" }, overrides: { clock, verifier: new ScriptedVerifier(clock), onQuery: () => statements++ } });
  });
  afterAll(async () => t?.close());

  const measured = async <T>(send: () => Promise<T>) => {
    const before = statements;
    const started = performance.now();
    const response = await send();
    return { response, statements: statements - before, ms: performance.now() - started };
  };

  it("refuses 2,400 aliases of auditLog(first: 100) { totalCount } (TOO_MANY_ALIASES) in milliseconds, before any SQL", async () => {
    const query = aliasedCounts(2400);
    expect(query.length).toBeGreaterThan(90_000);
    // An attack is many such requests: the one timed is the second, so compiling the refusal's path once is not counted.
    await t.gql(query);
    const { response, statements: ran, ms } = await measured(() => t.gql(query));
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { message: expect.stringContaining("at most 30"), extensions: { code: "TOO_MANY_ALIASES", aliases: 2400, maxAliases: 30 } },
    ]);
    expect(ran).toBe(0);
    expect(ms).toBeLessThan(500);
  });

  it("serves the frontends' queries under the default limits", async () => {
    const token = await t.token(`cost-${db}-frontend`);
    await t.gql(`mutation { claimDomain(input: { name: "frontend.example.com" }) { created } }`, {}, { token });
    for (const query of FRONTEND_QUERIES) {
      const response = await t.gql(query, {}, { token });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.domains.totalCount).toBe(1);
    }
    // Up to the alias cap is served too.
    expect((await t.gql(aliasedCounts(30), {}, { token })).body.errors).toBeUndefined();
  });
});

describe("query cost with a small GRAPHQL_MAX_COMPLEXITY", () => {
  let t: TestApp;
  let statements = 0;

  beforeAll(async () => {
    t = await startTestApp({ env: { GRAPHQL_MAX_COMPLEXITY: "1000" }, overrides: { onQuery: () => statements++ } });
  });
  afterAll(async () => t?.close());

  it("makes a connection cost its first even when only totalCount is selected, and totalCount a query of its own", async () => {
    const before = statements;
    const response = await t.gql(aliasedCounts(10));
    expect(response.status).toBe(400);
    // 10 × (1 + 100 rows + 1 COUNT); the old estimate was 10.
    expect(response.body.errors![0].extensions).toEqual({ code: "QUERY_TOO_COMPLEX", complexity: 1020, maxComplexity: 1000 });
    expect(statements).toBe(before);
    expect((await t.gql(aliasedCounts(9))).body.errors).toBeUndefined();
    expect((await t.gql(`{ auditLog(first: 100) { pageInfo { hasNextPage } } }`)).body.errors).toBeUndefined();
  });

  it("holds the limit for a whole batch, refusing all of it before any SQL", async () => {
    // 2 × 101 + … : each operation alone is well under 1000, the batch is not.
    const op = { query: `{ a: auditLog(first: 100) { nodes { id } } b: domains(first: 100) { nodes { id } } c: apiKeys(first: 100) { nodes { id } } }` };
    expect((await t.post(op)).body.errors).toBeUndefined();
    const before = statements;
    const refused = await t.post(Array(4).fill(op));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      errors: [{ message: expect.stringContaining("every operation of a batch together"), extensions: { code: "QUERY_TOO_COMPLEX", complexity: 1212, maxComplexity: 1000 } }],
    });
    expect(statements).toBe(before);
    const mutations = Array(10).fill({ query: `mutation { claimDomain(input: { name: "batch.example.com" }) { created } } query Q { auditLog(first: 100) { nodes { id } } }`, operationName: "Q" });
    expect((await t.post(mutations)).status).toBe(400);
    expect(statements).toBe(before);
  });

  it("leaves no way around the check through persisted queries", async () => {
    const response = await t.post({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } });
    expect(response.body.errors![0].extensions!.code).toBe("PERSISTED_QUERY_NOT_SUPPORTED");
  });
});
