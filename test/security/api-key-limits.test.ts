/**
 * Replays the review's key flood: one request of many aliased createApiKey made as many keys
 * and audit entries. Key management now counts against the mutation quota, and an account
 * holds at most MAX_API_KEYS_PER_ACCOUNT active keys.
 */
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

const CREATE = (alias: string) => `${alias}: createApiKey(input: { name: "${alias}" }) { apiKey { id } userErrors { code message } }`;

describe.each(DATABASE_FLAVORS)("API key limits on %s", (db) => {
  let t: TestApp;
  let seq = 0;
  beforeAll(async () => {
    t = await startTestApp({ db, env: { MAX_API_KEYS_PER_ACCOUNT: "3", RATE_LIMIT_MUTATIONS_PER_MINUTE: "100000" } });
  });
  afterAll(async () => t?.close());

  it("answers API_KEY_LIMIT_REACHED past MAX_API_KEYS_PER_ACCOUNT active keys, and counts revoked ones out", async () => {
    const token = await t.token(`keys-${db}-${++seq}`);
    const response = await t.gql(`mutation { ${["k1", "k2", "k3", "k4", "k5"].map(CREATE).join(" ")} }`, {}, { token });
    const results = Object.values(response.body.data) as { apiKey: { id: string } | null; userErrors: { code: string; message: string }[] }[];
    expect(results.filter((r) => r.apiKey)).toHaveLength(3);
    expect(results.filter((r) => !r.apiKey).map((r) => r.userErrors)).toEqual([
      [{ code: "API_KEY_LIMIT_REACHED", message: "Your account has 3 of 3 active API keys; revoke one before creating another." }],
      [{ code: "API_KEY_LIMIT_REACHED", message: "Your account has 3 of 3 active API keys; revoke one before creating another." }],
    ]);
    const keys = await t.gql(`{ apiKeys { totalCount } auditLog { totalCount } }`, {}, { token });
    expect(keys.body.data).toEqual({ apiKeys: { totalCount: 3 }, auditLog: { totalCount: 3 } });

    const id = results.find((r) => r.apiKey)!.apiKey!.id;
    await t.gql(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { code } } }`, { id }, { token });
    expect((await t.gql(`mutation { ${CREATE("k6")} }`, {}, { token })).body.data.k6.userErrors).toEqual([]);
  });
});

describe("API key management and the mutation quota", () => {
  it("counts createApiKey and revokeApiKey against RATE_LIMIT_MUTATIONS_PER_MINUTE", async () => {
    const t = await startTestApp({ env: { RATE_LIMIT_MUTATIONS_PER_MINUTE: "3" } });
    try {
      const token = await t.token("key-flood");
      const created = await t.gql(`mutation { ${CREATE("a")} }`, {}, { token });
      await t.gql(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { code } } }`, { id: created.body.data.a.apiKey.id }, { token });
      await t.gql(`mutation { ${CREATE("b")} }`, {}, { token });
      const refused = await t.gql(`mutation { ${CREATE("c")} }`, {}, { token });
      expect(refused.status).toBe(429);
      expect(refused.body.errors![0].extensions!.code).toBe("RATE_LIMITED");
      expect((await t.gql(`{ apiKeys { totalCount } }`, {}, { token })).body.data.apiKeys.totalCount).toBe(2);
    } finally {
      await t.close();
    }
  });
});
