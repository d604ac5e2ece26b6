import type { DomainVerifier } from "../../src/verification/types";
import { DATABASE_FLAVORS } from "../support/databases";
import { TEST_JWT_SECRET, TestApp, startTestApp } from "../support/test-app";

/** What must never reach a client: SQL, driver and ORM names, stack frames, file paths. */
const LEAKS = [
  /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|DROP TABLE|ALTER TABLE)\b/,
  /\bFROM\s+[`"]?\w+[`"]?\s+(WHERE|AS|LIMIT|ORDER)\b/i,
  /sqlite|mysql|mariadb|typeorm|QueryFailedError|\bER_[A-Z_]{3,}|\bSQLITE_[A-Z]+/i,
  /\bat\s+[\w.<>]+\s+\(|\bat\s+\//,
  /(\/|\\)(work|home|tmp|usr|var|src|node_modules)(\/|\\)/,
  /\.(ts|js):\d+/,
  /stacktrace|"stack"|ECONNREFUSED|ENOENT/i,
  /secret-path|internal detail/i,
];

function expectNoLeak(what: string, text: string): void {
  for (const pattern of LEAKS) expect({ what, leak: text.match(pattern)?.[0] ?? null }).toEqual({ what, leak: null });
}

/** A verifier that fails the way a bug would: with paths, SQL and a stack in its error. */
const brokenVerifier: DomainVerifier = {
  async verify() {
    throw new Error("internal detail: ENOENT /work/secret-path/verifier.ts:42 while running SELECT token FROM domains WHERE id = 1");
  },
};

describe.each(DATABASE_FLAVORS)("error responses in production on %s", (db) => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ db, env: { NODE_ENV: "production" }, overrides: { verifier: brokenVerifier } });
    token = await t.token(`leaks-${db}`);
  });
  afterAll(async () => t?.close());

  const raw = async (what: string, init: RequestInit & { path?: string }) => {
    const response = await fetch(`${t.url}${init.path ?? "/graphql"}`, init);
    const text = await response.text();
    expectNoLeak(what, text);
    return { status: response.status, text, json: () => JSON.parse(text) };
  };
  const post = (what: string, body: unknown, headers: Record<string, string> = {}) =>
    raw(what, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });

  it("never show SQL, stacks or paths, whatever the request gets wrong", async () => {
    const cases: [string, unknown, Record<string, string>?][] = [
      ["a syntax error", { query: "{ viewer {" }],
      ["an unknown field", { query: "{ viewer { password } }" }],
      ["a variable of the wrong type", { query: "query($n: Int) { domains(first: $n) { totalCount } }", variables: { n: "ten" } }],
      ["an unknown operation name", { query: "query A { viewer { accountId } }", operationName: "B" }],
      ["a malformed id", { query: `{ domain(id: "' OR 1=1 --") { id } }` }],
      ["a cursor made of SQL", { query: `query($a: String) { domains(after: $a) { totalCount } }`, variables: { a: Buffer.from(JSON.stringify(["2020-01-01' OR '1'='1", "x"])).toString("base64url") } }],
      ["first out of range", { query: "{ auditLog(first: 100000) { totalCount } }" }],
      ["a name made of SQL", { query: `mutation { claimDomain(input: { name: "x.com'; DROP TABLE domains; --" }) { userErrors { code message } } }` }],
      ["an expired token", { query: "{ viewer { accountId } }" }, { authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjoxfQ.x" }],
      ["alg none", { query: "{ viewer { accountId } }" }, { authorization: `Bearer ${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"x"}').toString("base64url")}.` }],
      ["a key that does not exist", { query: "{ viewer { accountId } }" }, { authorization: `Bearer dpk_${"x".repeat(43)}` }],
      ["malformed JSON", '{"query": "{ viewer { accountId } }"'],
      ["a batch over the cap", Array(20).fill({ query: "{ viewer { accountId } }" })],
      ["too deep", { query: `{ domains { nodes { ${"auditLog { nodes { domain { ".repeat(5)}id${" } } }".repeat(5)} } } }` }],
      ["too complex", { query: `{ domains(first: 100) { nodes { auditLog(first: 100) { nodes { domain { auditLog(first: 100) { nodes { id } } } } } } } }` }],
      ["a huge body", { query: "{ viewer { accountId } }", variables: { x: "y".repeat(200_000) } }],
      ["introspection", { query: "{ __schema { types { name } } }" }],
    ];
    for (const [what, body, headers] of cases) {
      const response = await post(what, body, headers);
      expect(response.json().errors ?? response.json()[0]?.errors ?? response.json().data.claimDomain.userErrors).toBeDefined();
    }
    await raw("text/plain (CSRF)", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    await raw("a GET mutation", { path: `/graphql?query=${encodeURIComponent("mutation { cleanupDomains { expired } }")}`, headers: { "apollo-require-preflight": "1", accept: "application/json" } });
    await raw("an unknown path", { path: "/graphql/../../etc/passwd" });
  });

  it("turn a failure inside a resolver into INTERNAL_SERVER_ERROR with nothing of the failure in it", async () => {
    const { domain } = (await post("claim", { query: `mutation { claimDomain(input: { name: "broken.example.com" }) { domain { id } } }` }).then((r) => r.json())).data.claimDomain;
    const response = await post("a verifier that throws", { query: `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`, variables: { id: domain.id } });
    expect(response.json().errors).toEqual([{ message: "Something went wrong on our side.", path: ["verifyDomain"], locations: expect.any(Array), extensions: { code: "INTERNAL_SERVER_ERROR" } }]);
  });

  it("turn SQL errors into INTERNAL_SERVER_ERROR, and a lost database into SERVICE_UNAVAILABLE", async () => {
    await t.app.dataSource.query("ALTER TABLE domains RENAME TO domains_gone");
    for (const query of ["{ domains { totalCount nodes { name } } }", `mutation { claimDomain(input: { name: "after.example.com" }) { created } }`]) {
      const response = await post(`SQL failing: ${query}`, { query });
      expect(response.json().errors).toEqual([expect.objectContaining({ message: "Something went wrong on our side.", extensions: { code: "INTERNAL_SERVER_ERROR" } })]);
    }
    await t.app.dataSource.destroy();
    const lost = await post("database gone", { query: "{ viewer { domainCount } }" });
    expect(lost.json().errors).toEqual([expect.objectContaining({ extensions: { code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 1 } })]);
    const ready = await raw("readyz", { path: "/readyz" });
    expect(ready.status).toBe(503);
  });
});

describe("error responses in production with Redis away and RATE_LIMIT_FAIL_CLOSED", () => {
  it("answer SERVICE_UNAVAILABLE for rate-limited fields, with nothing of the connection error in it", async () => {
    const t = await startTestApp({ env: { NODE_ENV: "production", REDIS_URL: "redis://127.0.0.1:1", JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT_FAIL_CLOSED: "true" } });
    try {
      const response = await t.gql(`mutation { claimDomain(input: { name: "no-redis.example.com" }) { created } }`);
      expect(response.status).toBe(503);
      expect(response.body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/rate-limit store/), extensions: { code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 1 } })]);
      expectNoLeak("redis away", JSON.stringify(response.body));
      expect((await t.gql(`{ viewer { domainCount } }`)).body.data.viewer.domainCount).toBe(0);
    } finally {
      await t.close();
    }
  });
});
