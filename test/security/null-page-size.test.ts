/**
 * `first: null` is served as the field's default page. It must be costed as that page too: the
 * review's nest of events and audit logs with `first: null` scored 11 and ran for 82 s, where
 * the same nest with `first: 20` scored 185,261 and was refused.
 */
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

/** Statements are counted: no background worker may poll the database meanwhile. */
const QUIET = { WEBHOOK_WORKER_ENABLED: "false" };

/** The review's nest: events → domain → auditLog, three times over, at the depth limit of 12. */
const body = (first: string, log = first) =>
  `events(first: ${first}) { nodes { domain { auditLog(first: ${log}) { nodes { domain { auditLog(first: ${log}) { nodes { domain { auditLog(first: ${log}) { nodes { id } } } } } } } } } } }`;
const nest = (first: string) => `{ ${body(first)} }`;
const aliased = (first: string, n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${body(first)}`).join(" ")} }`;

describe.each(DATABASE_FLAVORS)("null page sizes on %s", (db) => {
  let t: TestApp;
  let statements = 0;

  beforeAll(async () => {
    t = await startTestApp({ db, env: QUIET, overrides: { onQuery: () => statements++ } });
  });
  afterAll(async () => t?.close());

  it("costs first: null, an omitted first and an unset variable as the default page, and refuses the nest before any SQL", async () => {
    const token = await t.token(`null-page-${db}`);
    const withDefaults = await t.gql(`{ ${body("50", "20")} }`, {}, { token });
    expect(withDefaults.status).toBe(400);
    const refusal = withDefaults.body.errors![0].extensions!;
    expect(refusal.code).toBe("QUERY_TOO_COMPLEX");

    const before = statements;
    const asked = [
      { query: nest("null"), variables: {} },
      { query: `{ ${body("null").replace(/\(first: null\)/g, "")} }`, variables: {} },
      { query: `query($n: Int) { ${body("$n")} }`, variables: { n: null } },
      { query: `query($n: Int) { ${body("$n")} }`, variables: {} },
    ];
    for (const { query, variables } of asked) {
      const response = await t.gql(query, variables, { token });
      expect(response.status).toBe(400);
      // The same cost as the default page spelled out: 50 events × 20 × 20 × 20 entries.
      expect(response.body.errors![0].extensions).toEqual(refusal);
    }
    expect(statements).toBe(before);
  });

  it("refuses thirty aliases of the nest at once, without running them", async () => {
    const token = await t.token(`null-page-aliases-${db}`);
    const before = statements;
    const started = performance.now();
    const response = await t.gql(aliased("null", 30), {}, { token });
    expect(response.status).toBe(400);
    expect(response.body.errors![0].extensions!.code).toBe("QUERY_TOO_COMPLEX");
    expect(statements).toBe(before);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("still serves a small page asked for with first: null", async () => {
    const token = await t.token(`null-page-small-${db}`);
    await t.gql(`mutation { claimDomain(input: { name: "null-page.example.com" }) { created } }`, {}, { token });
    const response = await t.gql(`{ domains(first: null) { totalCount nodes { name auditLog(first: null) { nodes { action } } } } }`, {}, { token });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.domains.nodes).toEqual([{ name: "null-page.example.com", auditLog: { nodes: [{ action: expect.any(String) }] } }]);
  });
});
