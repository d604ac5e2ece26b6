import { createHash } from "node:crypto";
import { ManualClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";

const KEY_FIELDS = `id name prefix domainName active createdAt lastUsedAt revokedAt domain { id name }`;
const CREATE_KEY = `mutation($name: String!, $domainId: ID) { createApiKey(input: { name: $name, domainId: $domainId }) { secret apiKey { ${KEY_FIELDS} } userErrors { code field message } } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { ${KEY_FIELDS} } userErrors { code field message } } }`;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } userErrors { code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified userErrors { code } } }`;
const REMOVE = `mutation($id: ID!) { removeDomain(input: { id: $id }) { removedDomainId userErrors { code } } }`;
const AUDIT = `query($domainId: ID, $action: AuditAction) { auditLog(domainId: $domainId, action: $action) { totalCount nodes { action domainName message actor { type id } domain { id } } } }`;
const VIEWER = `{ viewer { accountId userId isAdmin domainCount } }`;

describe.each(DATABASE_FLAVORS)("API keys on %s", (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  const verifier = new ScriptedVerifier(clock);
  const statements: string[] = [];
  let seq = 0;
  const account = (claims: Record<string, string> = {}) => t.token(`keys-${db}-${++seq}`, claims);
  const createKey = async (token: string, name: string, domainId?: string) => (await t.gql(CREATE_KEY, { name, domainId }, { token })).body.data.createApiKey;
  /** A VERIFIED domain of the account behind `token`. */
  const verifiedDomain = async (token: string, name: string) => {
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    verifier.publish(name, [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    expect((await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain.verified).toBe(true);
    return domain.id as string;
  };
  const unauthenticated = (response: { status: number; body: any }) => {
    expect(response.status).toBe(401);
    expect(response.body.errors).toEqual([expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" } })]);
    return response.body.errors[0].message as string;
  };

  beforeAll(async () => {
    t = await startTestApp({
      db,
      overrides: { clock, verifier, onQuery: (sql) => statements.push(sql) },
      env: { ADMIN_USER_IDS: `keys-admin-${db}`, RATE_LIMIT_MUTATIONS_PER_MINUTE: "1000", RATE_LIMIT_VERIFY_PER_MINUTE: "1000" },
    });
  });
  afterAll(async () => t?.close());

  it("creates a key whose secret is shown once and stored only as a hash, and which authenticates as the account", async () => {
    const token = await account();
    const created = await createKey(token, "  CI deploys  ");
    expect(created.userErrors).toEqual([]);
    expect(created.secret).toMatch(/^dpk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(created.secret.slice(4), "base64url")).toHaveLength(32);
    expect(created.apiKey).toMatchObject({ name: "CI deploys", prefix: created.secret.slice(0, 12), domainName: null, domain: null, active: true, lastUsedAt: null, revokedAt: null });

    const [row] = await t.app.dataSource.query(`SELECT * FROM api_keys WHERE prefix = ?`, [created.apiKey.prefix]);
    expect(row.secretHash).toBe(createHash("sha256").update(created.secret).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(12));

    const viewer = await t.gql(VIEWER, {}, { token: created.secret });
    expect(viewer.body.data.viewer).toMatchObject({ accountId: `keys-${db}-${seq}`, userId: null, isAdmin: false });
    const listed = await t.gql(`{ apiKeys { totalCount nodes { id name } } }`, {}, { token });
    expect(listed.body.data.apiKeys).toEqual({ totalCount: 1, nodes: [{ id: created.apiKey.id, name: "CI deploys" }] });
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
  });

  it("audits what a key does as actor API_KEY with the key's id, and key creation and revocation as the user", async () => {
    const token = await account();
    const { secret, apiKey } = await createKey(token, "integration");
    const claimed = (await t.gql(CLAIM, { name: "by-key.example.com" }, { token: secret })).body.data.claimDomain;
    expect(claimed.userErrors).toEqual([]);
    const claimEntry = (await t.gql(AUDIT, { action: "DOMAIN_CLAIMED" }, { token })).body.data.auditLog.nodes[0];
    expect(claimEntry.actor).toEqual({ type: "API_KEY", id: apiKey.id });
    const node = await t.gql(`query($id: ID!) { node(id: $id) { ... on ApiKey { name } } }`, { id: claimEntry.actor.id }, { token });
    expect(node.body.data.node).toEqual({ name: "integration" });

    await t.gql(REVOKE_KEY, { id: apiKey.id }, { token });
    const keyEntries = (await t.gql(`{ auditLog { nodes { action domainName domain { id } actor { type } message } } }`, {}, { token })).body.data.auditLog.nodes;
    expect(keyEntries.filter((e: any) => e.action.startsWith("API_KEY"))).toEqual([
      { action: "API_KEY_REVOKED", domainName: "", domain: null, actor: { type: "USER" }, message: expect.stringContaining(apiKey.prefix) },
      { action: "API_KEY_CREATED", domainName: "", domain: null, actor: { type: "USER" }, message: expect.stringContaining("every domain") },
    ]);
  });

  it("scopes a key to one VERIFIED domain: it sees and acts on that domain alone", async () => {
    const token = await account();
    const scopedId = await verifiedDomain(token, "scoped.example.com");
    const otherId = (await t.gql(CLAIM, { name: "other.example.com" }, { token })).body.data.claimDomain.domain.id;
    const { secret, apiKey, userErrors } = await createKey(token, "scoped", scopedId);
    expect(userErrors).toEqual([]);
    expect(apiKey).toMatchObject({ domainName: "scoped.example.com", domain: { id: scopedId, name: "scoped.example.com" }, active: true });

    const seen = await t.gql(
      `query($other: ID!, $scoped: ID!) { viewer { domainCount } domains { totalCount nodes { id } } other: domain(id: $other) { id } otherNode: node(id: $other) { id } scoped: domain(id: $scoped) { id } auditLog { nodes { domain { id } } } }`,
      { other: otherId, scoped: scopedId },
      { token: secret },
    );
    expect(seen.body.data).toMatchObject({ viewer: { domainCount: 1 }, domains: { totalCount: 1, nodes: [{ id: scopedId }] }, other: null, otherNode: null, scoped: { id: scopedId } });
    expect(new Set(seen.body.data.auditLog.nodes.map((n: any) => n.domain.id))).toEqual(new Set([scopedId]));
    const otherLog = await t.gql(AUDIT, { domainId: otherId }, { token: secret });
    expect(otherLog.body.data.auditLog.totalCount).toBe(0);

    expect((await t.gql(VERIFY, { id: otherId }, { token: secret })).body.data.verifyDomain.userErrors).toEqual([{ code: "NOT_FOUND" }]);
    expect((await t.gql(REMOVE, { id: otherId }, { token: secret })).body.data.removeDomain.userErrors).toEqual([{ code: "NOT_FOUND" }]);
    expect((await t.gql(VERIFY, { id: scopedId }, { token: secret })).body.data.verifyDomain).toEqual({ verified: true, userErrors: [] });
    const claim = await t.gql(CLAIM, { name: "sneaky.example.com" }, { token: secret });
    expect(claim.body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);
    expect((await t.gql(VIEWER, {}, { token })).body.data.viewer.domainCount).toBe(2);

    const created = (await t.gql(AUDIT, { domainId: scopedId, action: "API_KEY_CREATED" }, { token })).body.data.auditLog.nodes;
    expect(created).toEqual([expect.objectContaining({ domainName: "scoped.example.com", domain: { id: scopedId }, message: expect.stringContaining("scoped.example.com alone") })]);
  });

  it("scopes only to a VERIFIED domain of the account", async () => {
    const token = await account();
    const pendingId = (await t.gql(CLAIM, { name: "pending.example.com" }, { token })).body.data.claimDomain.domain.id;
    const strangersId = await verifiedDomain(await account(), "strangers.example.com");
    const missing = Buffer.from("Domain:00000000-0000-7000-8000-000000000000").toString("base64url");

    expect((await createKey(token, "k", pendingId)).userErrors).toEqual([{ code: "DOMAIN_NOT_VERIFIED", field: ["input", "domainId"], message: expect.stringContaining("pending.example.com") }]);
    const forStranger = await createKey(token, "k", strangersId);
    const forMissing = await createKey(token, "k", missing);
    expect(forStranger).toEqual(forMissing);
    expect(forMissing).toEqual({ secret: null, apiKey: null, userErrors: [{ code: "NOT_FOUND", field: ["input", "domainId"], message: "No such domain in your account." }] });
    expect((await t.gql(`{ apiKeys { totalCount } }`, {}, { token })).body.data.apiKeys.totalCount).toBe(0);
  });

  it("refuses empty, overlong and control-character names", async () => {
    const token = await account();
    for (const name of ["", "   ", "x".repeat(101), "tab\there"]) {
      expect((await createKey(token, name)).userErrors).toEqual([expect.objectContaining({ code: "INVALID_NAME", field: ["input", "name"] })]);
    }
    expect((await createKey(token, "x".repeat(100))).userErrors).toEqual([]);
  });

  it("revokes a key at once, idempotently", async () => {
    const token = await account();
    const { secret, apiKey } = await createKey(token, "short-lived");
    expect((await t.gql(VIEWER, {}, { token: secret })).status).toBe(200);
    clock.advance(1000);
    const revoked = (await t.gql(REVOKE_KEY, { id: apiKey.id }, { token })).body.data.revokeApiKey;
    expect(revoked).toMatchObject({ userErrors: [], apiKey: { id: apiKey.id, revokedAt: clock.now().toISOString(), active: false } });
    expect(unauthenticated(await t.gql(VIEWER, {}, { token: secret }))).toMatch(/API key/);
    clock.advance(1000);
    const again = (await t.gql(REVOKE_KEY, { id: apiKey.id }, { token })).body.data.revokeApiKey;
    expect(again.apiKey.revokedAt).toBe(revoked.apiKey.revokedAt);
    expect((await t.gql(AUDIT, { action: "API_KEY_REVOKED" }, { token })).body.data.auditLog.totalCount).toBe(1);
  });

  it("deactivates a scoped key at once when its domain is removed, and keeps the domain's name on the key", async () => {
    const token = await account();
    const domainId = await verifiedDomain(token, "removed.example.com");
    const { secret, apiKey } = await createKey(token, "scoped", domainId);
    await t.gql(REMOVE, { id: domainId }, { token });
    expect(unauthenticated(await t.gql(VIEWER, {}, { token: secret }))).toMatch(/removed\.example\.com is no longer verified/);
    const node = await t.gql(`query($id: ID!) { node(id: $id) { ... on ApiKey { ${KEY_FIELDS} } } }`, { id: apiKey.id }, { token });
    expect(node.body.data.node).toMatchObject({ domain: null, domainName: "removed.example.com", active: false, revokedAt: null });
    // The same name claimed again is a new claim: the old key stays dead.
    await verifiedDomain(token, "removed.example.com");
    expect((await t.gql(VIEWER, {}, { token: secret })).status).toBe(401);
  });

  it("deactivates a scoped key at once when its domain is revoked", async () => {
    const owner = await account();
    const domainId = await verifiedDomain(owner, "taken.example.com");
    const { secret } = await createKey(owner, "scoped", domainId);
    const rival = await account();
    const { domain } = (await t.gql(CLAIM, { name: "taken.example.com" }, { token: rival })).body.data.claimDomain;
    verifier.publish("taken.example.com", [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    expect((await t.gql(VERIFY, { id: domain.id }, { token: rival })).body.data.verifyDomain.verified).toBe(true);
    expect((await t.gql(`query($id: ID!) { domain(id: $id) { status } }`, { id: domainId }, { token: owner })).body.data.domain.status).toBe("REVOKED");
    unauthenticated(await t.gql(VIEWER, {}, { token: secret }));
  });

  it("records lastUsedAt to the minute, without a write on every request", async () => {
    const token = await account();
    const { secret, apiKey } = await createKey(token, "busy");
    const keyWrites = () => statements.filter((sql) => /UPDATE\s+[`"]api_keys[`"]/i.test(sql)).length;
    const lastUsed = async () => (await t.gql(`query($id: ID!) { node(id: $id) { ... on ApiKey { lastUsedAt } } }`, { id: apiKey.id }, { token })).body.data.node.lastUsedAt;

    const writesBefore = keyWrites();
    const firstUse = clock.now().toISOString();
    await t.gql(VIEWER, {}, { token: secret });
    expect(await lastUsed()).toBe(firstUse);
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      await t.gql(VIEWER, {}, { token: secret });
    }
    expect(await lastUsed()).toBe(firstUse);
    expect(keyWrites() - writesBefore).toBe(1);
    clock.advance(10_000);
    await t.gql(VIEWER, {}, { token: secret });
    expect(await lastUsed()).toBe(clock.now().toISOString());
    expect(keyWrites() - writesBefore).toBe(2);
  });

  it("lets no key list, create or revoke keys, so a leaked key cannot mint keys that outlive it", async () => {
    const token = await account();
    const { secret, apiKey } = await createKey(token, "full access");
    for (const [query, variables] of [
      [`{ apiKeys { totalCount } }`, {}],
      [CREATE_KEY, { name: "child" }],
      [REVOKE_KEY, { id: apiKey.id }],
    ] as const) {
      const response = await t.gql(query, variables, { token: secret });
      expect(response.body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);
    }
    const node = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: apiKey.id }, { token: secret });
    expect(node.body.data.node).toBeNull();
    expect((await t.gql(`{ apiKeys { totalCount } }`, {}, { token })).body.data.apiKeys.totalCount).toBe(1);
  });

  it("refuses malformed and unknown keys as keys", async () => {
    for (const secret of ["dpk_", "dpk_short", `dpk_${"A".repeat(43)}`, `dpk_${"A".repeat(42)}!`]) {
      expect(unauthenticated(await t.gql(VIEWER, {}, { token: secret }))).toMatch(/API key is not valid/);
    }
  });

  it("pages the account's keys newest first", async () => {
    const token = await account();
    for (const name of ["k1", "k2", "k3"]) {
      await createKey(token, name);
      clock.advance(1);
    }
    const first = (await t.gql(`{ apiKeys(first: 2) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }`, {}, { token })).body.data.apiKeys;
    expect(first).toMatchObject({ totalCount: 3, nodes: [{ name: "k3" }, { name: "k2" }], pageInfo: { hasNextPage: true } });
    const rest = await t.gql(`query($after: String) { apiKeys(first: 2, after: $after) { nodes { name } pageInfo { hasNextPage } } }`, { after: first.pageInfo.endCursor }, { token });
    expect(rest.body.data.apiKeys).toEqual({ nodes: [{ name: "k1" }], pageInfo: { hasNextPage: false } });
  });

  it("lets keys created by admins act as admins only with ADMIN_ALLOW_API_KEYS=true, and never scoped ones", async () => {
    const admin = await t.token(`keys-admin-${db}`);
    const adminKey = (await createKey(admin, "ops")).secret;
    const adminScoped = (await createKey(admin, "ops-scoped", await verifiedDomain(admin, "admin-owned.example.com"))).secret;
    const userKey = (await createKey(await account(), "user")).secret;
    const adminFields = `{ viewer { isAdmin } adminDomains { totalCount } }`;

    const refused = await t.gql(adminFields, {}, { token: adminKey });
    expect(refused.body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);

    const allowing = await startTestApp({
      database: t.database,
      overrides: { clock, verifier },
      env: { ADMIN_USER_IDS: `keys-admin-${db}`, ADMIN_ALLOW_API_KEYS: "true" },
    });
    const demoted = await startTestApp({ database: t.database, overrides: { clock, verifier }, env: { ADMIN_ALLOW_API_KEYS: "true" } });
    try {
      const allowed = await allowing.gql(adminFields, {}, { token: adminKey });
      expect(allowed.body.errors).toBeUndefined();
      expect(allowed.body.data.viewer.isAdmin).toBe(true);
      for (const token of [adminScoped, userKey]) {
        expect((await allowing.gql(adminFields, {}, { token })).body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);
      }
      // Taken off ADMIN_USER_IDS, the creator's keys stop acting as admins too.
      expect((await demoted.gql(`{ viewer { isAdmin } }`, {}, { token: adminKey })).body.data.viewer.isAdmin).toBe(false);
    } finally {
      await allowing.close();
      await demoted.close();
    }
  });
});

describe.each(DATABASE_FLAVORS)("the api_keys migration on %s", (db) => {
  it("matches the entity: the schema builder finds nothing to change in api_keys", async () => {
    const t = await startTestApp({ db });
    try {
      const pending = (await t.app.dataSource.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query);
      const forApiKeys = pending.filter((sql) => /api_keys/.test(sql));
      // The data source says "mysql" to a MariaDB server, so TypeORM reads MariaDB's quoted NULL
      // default as a value and re-declares every nullable column, of the initial tables too.
      const nullableRedeclarations = forApiKeys.filter((sql) => db === "mariadb" && /^ALTER TABLE `api_keys` CHANGE `(\w+)` `\1` [\w()]+ NULL$/.test(sql));
      expect(forApiKeys.length - nullableRedeclarations.length).toBe(0);
      if (db === "sqlite") expect(pending).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
