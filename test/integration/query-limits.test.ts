import { getIntrospectionQuery } from "graphql";
import { ManualClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { DOMAIN_FIELDS, TestApp, startTestApp } from "../support/test-app";

/** Statements are counted: no background worker may poll the database meanwhile. */
const QUIET = { WEBHOOK_WORKER_ENABLED: "false" };

const ENTRY_FIELDS = `id action domainName message previousStatus newStatus requestId createdAt actor { type id email } domain { id name status } check { outcome method message foundValues hints checkedAt servers { server answer values durationMs } }`;
const AUDIT_PAGE = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${ENTRY_FIELDS} } } nodes { ${ENTRY_FIELDS} }`;
/** Every field a frontend could want at the largest page sizes: the most a legitimate query asks for. */
const LARGEST_LEGITIMATE_QUERY = `{
  viewer { accountId userId email isAdmin domainCount domainLimit }
  domains(first: 100) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ${DOMAIN_FIELDS} auditLog(first: 100) { ${AUDIT_PAGE} } } }
    nodes { ${DOMAIN_FIELDS} auditLog(first: 100) { ${AUDIT_PAGE} } }
  }
  auditLog(first: 100) { ${AUDIT_PAGE} }
  apiKeys(first: 100) { totalCount nodes { id name prefix domainName active createdAt lastUsedAt revokedAt domain { id name } } }
}`;
const NESTED_THREE_TIMES = `query($n: Int) { domains(first: $n) { nodes { auditLog(first: $n) { nodes { domain { auditLog(first: $n) { nodes { id } } } } } } } }`;

describe.each(DATABASE_FLAVORS)("hostile queries on %s", (db) => {
  let t: TestApp;
  let statements = 0;
  const clock = new ManualClock();

  beforeAll(async () => {
    t = await startTestApp({ db, env: QUIET, overrides: { clock, verifier: new ScriptedVerifier(clock), onQuery: () => statements++ } });
  });
  afterAll(async () => t?.close());

  /** The answer, and how many SQL statements it cost. */
  const measured = async (send: () => Promise<{ status: number; body: any }>) => {
    const before = statements;
    const response = await send();
    return { ...response, statements: statements - before };
  };

  it("serves the largest legitimate query, with data in it", async () => {
    const token = await t.token(`limits-${db}-legit`);
    for (const name of ["a.example.com", "b.example.com"]) await t.gql(`mutation($name: String!) { claimDomain(input: { name: $name }) { created } }`, { name }, { token });
    const response = await t.gql(LARGEST_LEGITIMATE_QUERY, {}, { token });
    expect(response.body.errors).toBeUndefined();
    expect(response.status).toBe(200);
    expect(response.body.data.domains.nodes).toHaveLength(2);
    expect(response.body.data.domains.nodes[0].auditLog.nodes).toHaveLength(1);
  });

  it("answers an unknown enum value in an argument as the validation error it is, not as too complex, running nothing", async () => {
    const refused = await measured(() =>
      t.gql(`mutation { createWebhookEndpoint(input: { url: "https://127.0.0.1:9/x", actions: [DOMAIN_VERIFIED] }) { endpoint { id } } }`),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.errors![0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(refused.body.errors![0].message).toContain("DOMAIN_VERIFIED");
    expect(refused.statements).toBe(0);
  });

  it("refuses multiplying connections (QUERY_TOO_COMPLEX) before running anything, counting first from variables", async () => {
    const refused = await measured(() => t.gql(NESTED_THREE_TIMES, { n: 100 }));
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      { message: expect.stringContaining("at most 250000"), extensions: { code: "QUERY_TOO_COMPLEX", complexity: 1030201, maxComplexity: 250000 } },
    ]);
    expect(refused.statements).toBe(0);
    const small = await t.gql(NESTED_THREE_TIMES, { n: 5 });
    expect(small.body.errors).toBeUndefined();
  });

  it("refuses many aliases of a large page as one large query", async () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `d${i}: domains(first: 100) { nodes { auditLog(first: 100) { nodes { id } } } }`).join(" ");
    const refused = await measured(() => t.gql(`{ ${aliases} }`));
    expect(refused.body.errors![0].extensions!.code).toBe("QUERY_TOO_COMPLEX");
    expect(refused.statements).toBe(0);
  });

  it("refuses deep nesting (QUERY_TOO_DEEP), through fragments too, before running anything", async () => {
    // 15 deep: domains, nodes, four times (auditLog, nodes, domain), name.
    const deep = `{ domains(first: 1) { nodes { ${"auditLog(first: 1) { nodes { domain { ".repeat(4)}name${" } } }".repeat(4)} } } }`;
    const refused = await measured(() => t.gql(deep));
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ message: expect.stringContaining("more than 12 deep"), extensions: { code: "QUERY_TOO_DEEP", maxDepth: 12 } })]);
    expect(refused.statements).toBe(0);

    const viaFragments = `query { domains { ...D } }
      fragment D on DomainConnection { nodes { auditLog { ...A } } }
      fragment A on AuditEntryConnection { nodes { domain { auditLog(first: 1) { nodes { domain { auditLog(first: 1) { nodes { domain { auditLog(first: 1) { nodes { id } } } } } } } } } } }`;
    expect((await t.gql(viaFragments)).body.errors![0].extensions!.code).toBe("QUERY_TOO_DEEP");
  });

  it.each([
    ["signed in, under a field", "Viewer", "accountId", (f: string) => `{ viewer { ...${f} } }`, undefined],
    ["anonymous, at the root", "Query", "__typename", (f: string) => `{ ...${f} }`, null],
  ])("refuses a fragment bomb quickly instead of walking it (%s)", async (_case, type, leaf, operation, token) => {
    const levels = 30;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on ${type} { ${leaf} }` : `fragment F${i} on ${type} { ...F${i + 1} ... on ${type} { ...F${i + 1} } }`,
    ).join("\n");
    const started = Date.now();
    const refused = await measured(() => t.gql(`${operation("F0")} ${fragments}`, {}, { token }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(refused.body.errors![0].extensions!.code).toBe("QUERY_TOO_COMPLEX");
    expect(refused.statements).toBe(0);
  });

  it("caps the operations in a batch (TOO_MANY_OPERATIONS) and serves a batch within the cap", async () => {
    const op = { query: `{ viewer { accountId } }` };
    const refused = await measured(() => t.post(Array(11).fill(op)));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ errors: [{ message: expect.stringContaining("at most 10 operations"), extensions: { code: "TOO_MANY_OPERATIONS" } }] });
    expect(refused.statements).toBe(0);
    const served = await t.post(Array(10).fill(op));
    expect(served.status).toBe(200);
    expect(served.body).toHaveLength(10);
    expect(served.body.every((r: any) => r.data.viewer.accountId === "user-a")).toBe(true);
  });

  it("answers an oversized body with 413 in the GraphQL error shape", async () => {
    const response = await t.post({ query: `{ viewer { accountId } }`, variables: { padding: "x".repeat(110 * 1024) } });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ errors: [{ message: expect.stringContaining("102400 bytes"), extensions: { code: "PAYLOAD_TOO_LARGE" } }] });
  });

  it("blocks requests a browser could send cross-site (CSRF prevention)", async () => {
    const simplePost = await fetch(`${t.url}/graphql`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ query: "{ __typename }" }) });
    expect(simplePost.status).toBe(400);
    expect(await simplePost.text()).toMatch(/Cross-Site Request Forgery/);
    const simpleGet = await fetch(`${t.url}/graphql?query=${encodeURIComponent("{ __typename }")}`, { headers: { accept: "application/json" } });
    expect(simpleGet.status).toBe(400);
    expect(await simpleGet.text()).toMatch(/Cross-Site Request Forgery/);
    const preflighted = await fetch(`${t.url}/graphql?query=${encodeURIComponent("{ __typename }")}`, { headers: { accept: "application/json", "apollo-require-preflight": "true" } });
    expect(await preflighted.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("serves the explorer's introspection query outside production, and suggests field names", async () => {
    const introspection = await t.gql(getIntrospectionQuery());
    expect(introspection.body.errors).toBeUndefined();
    const typo = await t.gql(`{ domian { id } }`);
    expect(typo.body.errors![0].message).toMatch(/Did you mean "domain"/);
  });
});

describe("in production", () => {
  const production = { NODE_ENV: "production" };

  it("refuses introspection (INTROSPECTION_DISABLED) and hides schema suggestions", async () => {
    const t = await startTestApp({ env: production });
    try {
      const introspection = await t.gql(getIntrospectionQuery(), {}, { token: null });
      expect(introspection.status).toBe(400);
      expect(introspection.body.errors![0].extensions).toEqual({ code: "INTROSPECTION_DISABLED" });
      expect(introspection.body.errors![0].message).toContain("GRAPHQL_INTROSPECTION=true");
      expect(introspection.body.errors![0].message).not.toContain("ApolloServer");
      const typed = await t.gql(`{ __type(name: "Domain") { name } }`);
      expect(typed.body.errors![0].extensions!.code).toBe("INTROSPECTION_DISABLED");
      const typo = await t.gql(`{ domian { id } viewer { acountId } }`);
      expect(typo.status).toBe(400);
      for (const error of typo.body.errors!) {
        expect(error.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
        expect(error.message).not.toMatch(/Did you mean|"domain"|accountId/);
      }
    } finally {
      await t.close();
    }
  });

  it("serves introspection when GRAPHQL_INTROSPECTION=true", async () => {
    const t = await startTestApp({ env: { ...production, GRAPHQL_INTROSPECTION: "true" } });
    try {
      const introspection = await t.gql(getIntrospectionQuery());
      expect(introspection.body.errors).toBeUndefined();
      expect(introspection.body.data.__schema.queryType.name).toBe("Query");
    } finally {
      await t.close();
    }
  });
});

describe("limits are settings", () => {
  it("follows GRAPHQL_MAX_DEPTH, GRAPHQL_MAX_COMPLEXITY, GRAPHQL_MAX_BATCH_OPERATIONS and GRAPHQL_MAX_BODY_BYTES", async () => {
    const t = await startTestApp({ env: { GRAPHQL_MAX_DEPTH: "3", GRAPHQL_MAX_COMPLEXITY: "50", GRAPHQL_MAX_BATCH_OPERATIONS: "2", GRAPHQL_MAX_BODY_BYTES: "2048" } });
    try {
      expect((await t.gql(`{ viewer { accountId } }`)).body.errors).toBeUndefined();
      expect((await t.gql(`{ domains { nodes { txtRecord { host } } } }`)).body.errors![0].extensions!.code).toBe("QUERY_TOO_DEEP");
      expect((await t.gql(`{ domains(first: 60) { nodes { id } } }`)).body.errors![0].extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", complexity: 61, maxComplexity: 50 });
      expect((await t.post(Array(3).fill({ query: "{ __typename }" }))).body.errors![0].extensions!.code).toBe("TOO_MANY_OPERATIONS");
      expect((await t.post({ query: "{ __typename }", variables: { x: "y".repeat(3000) } })).status).toBe(413);
    } finally {
      await t.close();
    }
  });
});
