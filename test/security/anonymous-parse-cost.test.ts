/**
 * An anonymous client sent a 98 KB document repeating one selection 2,800 times: about 380 ms
 * of the server's CPU went into validating it before anything refused it, and four such clients
 * pushed another caller's request to 3 s. Documents are now refused on tokens and selections
 * before validation, and anonymous requests are limited per client address.
 */
import { TestApp, startTestApp } from "../support/test-app";

const repeated = (n: number, selection = "viewer { accountId domainCount }") => `{ ${Array.from({ length: n }, () => selection).join(" ")} }`;

/** CPU this process (the server runs in it) spent while `send` ran. */
async function cpuMsOf(send: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await send();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

describe("documents refused before validation", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { NODE_ENV: "production", GRAPHQL_INTROSPECTION: "true" } });
  });
  afterAll(async () => t?.close());

  it("refuses the review's 98 KB document of 2,800 selections from an anonymous client in a few ms of CPU", async () => {
    const query = repeated(2_800);
    expect(query.length).toBeGreaterThan(90_000);
    await t.gql(query, {}, { token: null });
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      let response: Awaited<ReturnType<TestApp["gql"]>> | undefined;
      times.push(await cpuMsOf(async () => (response = await t.gql(query, {}, { token: null }))));
      expect(response!.status).toBe(400);
      expect(response!.body.errors).toEqual([{ message: expect.stringContaining("more than 2000 tokens"), extensions: { code: "QUERY_TOO_COMPLEX", complexity: null, maxTokens: 2_000 } }]);
    }
    // Validating it took 150-380 ms; reading 2,000 tokens of it takes about one. The bound leaves room for a loaded CI machine.
    expect(Math.min(...times)).toBeLessThan(40);
  });

  it("refuses a short document with more selections than allowed, credentials or not", async () => {
    const query = repeated(310, "__typename");
    for (const token of [null, await t.token("selections")]) {
      const response = await t.gql(query, {}, { token });
      expect(response.status).toBe(400);
      expect(response.body.errors![0].extensions).toEqual({ code: "QUERY_TOO_COMPLEX", complexity: null, maxSelections: 300 });
    }
    expect((await t.gql(repeated(290, "__typename"), {}, { token: null })).body.errors).toBeUndefined();
  });

  it("still serves introspection and the frontends' queries", async () => {
    const { getIntrospectionQuery } = await import("graphql");
    const introspection = await t.gql(getIntrospectionQuery({ descriptions: true }), {}, { token: null });
    expect(introspection.body.errors).toBeUndefined();
    const token = await t.token("frontend");
    const frontend = await t.gql(`{ domains(first: 50) { totalCount nodes { id name status auditLog(first: 10) { totalCount nodes { id action createdAt actor { type id } } } } pageInfo { hasNextPage endCursor } } }`, {}, { token });
    expect(frontend.body.errors).toBeUndefined();
  });
});

describe("anonymous requests per client address", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { NODE_ENV: "production", RATE_LIMIT_ANONYMOUS_PER_MINUTE: "5", TRUST_PROXY: "loopback" } });
  });
  afterAll(async () => t?.close());

  it("refuses an address's sixth request without credentials in a minute, and nobody else's", async () => {
    const from = (ip: string) => ({ token: null, headers: { "x-forwarded-for": ip } });
    for (let i = 0; i < 5; i++) expect((await t.gql(`{ __typename }`, {}, from("192.0.2.10"))).status).toBe(200);
    const refused = await t.gql(repeated(2_800), {}, from("192.0.2.10"));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.body.errors![0].extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) });
    // Another address, and the same address with credentials, are served.
    expect((await t.gql(`{ __typename }`, {}, from("192.0.2.11"))).status).toBe(200);
    const token = await t.token("signed-in");
    const signedIn = await t.gql(`{ viewer { accountId } }`, {}, { token, headers: { "x-forwarded-for": "192.0.2.10" } });
    expect(signedIn.body.data.viewer.accountId).toBe("signed-in");
  });
});
