import http from "node:http";
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { ConfigError, loadConfig } from "../../src/shared/config";
import { parseDatabaseUrl } from "../../src/db/data-source";
import { TEST_JWT_SECRET, TestApp, startTestApp } from "../support/test-app";

const VIEWER = `{ viewer { accountId userId email isAdmin } }`;
const hs256 = (claims: Record<string, unknown>, secret = TEST_JWT_SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("5m").sign(new TextEncoder().encode(secret));

describe("bearer JWTs (HS256)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ADMIN_USER_IDS: "ops-1, ops-2", ADMIN_EMAILS: "Boss@Example.com", ADMIN_SECRET: "legacy-cron-secret-value" } });
  });
  afterAll(async () => t?.close());

  it("takes the account from account_id, else from sub", async () => {
    const withAccount = await t.gql(VIEWER, {}, { token: await hs256({ sub: "u1", account_id: "acme", email: "u1@acme.test" }) });
    expect(withAccount.body.data.viewer).toEqual({ accountId: "acme", userId: "u1", email: "u1@acme.test", isAdmin: false });
    const bare = await t.gql(VIEWER, {}, { token: await hs256({ sub: "u2" }) });
    expect(bare.body.data.viewer).toEqual({ accountId: "u2", userId: "u2", email: null, isAdmin: false });
  });

  it("makes admins from ADMIN_USER_IDS, ADMIN_EMAILS (ASCII case-insensitive, only when marked verified) and ADMIN_SECRET", async () => {
    const admin = async (token: string) => (await t.gql(VIEWER, {}, { token })).body.data.viewer.isAdmin;
    expect(await admin(await hs256({ sub: "ops-2" }))).toBe(true);
    expect(await admin(await hs256({ sub: "x", email: "boss@example.com", email_verified: true }))).toBe(true);
    expect(await admin(await hs256({ sub: "x", email: "BOSS@example.COM", email_verified: "true" }))).toBe(true);
    expect(await admin(await hs256({ sub: "x", email: "boss@example.com" }))).toBe(false);
    expect(await admin(await hs256({ sub: "x", email: "boss@example.com", email_verified: false }))).toBe(false);
    const legacy = await t.gql(`{ viewer { isAdmin accountId } adminDomains { totalCount } }`, {}, { token: "legacy-cron-secret-value" });
    expect(legacy.body.data).toEqual({ viewer: { isAdmin: true, accountId: "admin" }, adminDomains: { totalCount: 0 } });
  });

  it.each([
    ["an expired token", async () => new SignJWT({ sub: "u" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode(TEST_JWT_SECRET)), /expired/],
    ["a token signed with another secret", async () => hs256({ sub: "u" }, "another-secret-another-secret-another"), /signature/],
    ["an unsigned token (alg none)", async () => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from('{"sub":"u"}').toString("base64url")}.`, /"none"/],
    ["a token without sub", async () => hs256({ account_id: "a" }), /sub/],
  ])("refuses %s with a reason", async (_label, make, reason) => {
    const result = await t.gql(VIEWER, {}, { token: await make() });
    expect(result.status).toBe(401);
    expect(result.body.errors).toEqual([expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" }, message: expect.stringMatching(reason) })]);
  });
});

describe("signing in, outside production and in it", () => {
  it("tells a caller without a token, outside production, the command that makes one", async () => {
    const t = await startTestApp();
    try {
      const result = await t.gql(VIEWER, {}, { token: null });
      expect(result.body.errors?.[0]).toMatchObject({ extensions: { code: "UNAUTHENTICATED" }, message: expect.stringContaining("npx dnsproof token --sub you") });
      const expired = await t.gql(VIEWER, {}, { token: "not-a-jwt" });
      expect(expired.body.errors?.[0].message).toMatch(/^The bearer token is not a JWT\. .*npx dnsproof token --sub you/);
    } finally {
      await t.close();
    }
  });

  it("keeps the hint out of production", async () => {
    const t = await startTestApp({ env: { NODE_ENV: "production" } });
    try {
      const result = await t.gql(VIEWER, {}, { token: null });
      expect(result.body.errors?.[0].extensions).toEqual({ code: "UNAUTHENTICATED" });
      expect(result.body.errors?.[0].message).not.toContain("dnsproof token");
    } finally {
      await t.close();
    }
  });
});

describe("bearer JWTs from a JWKS (RS256/ES256)", () => {
  let t: TestApp;
  let jwks: http.Server;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let ecKeys: Awaited<ReturnType<typeof generateKeyPair>>;
  beforeAll(async () => {
    keys = await generateKeyPair("RS256");
    ecKeys = await generateKeyPair("ES256");
    const body = JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: "rsa-1", alg: "RS256" }, { ...(await exportJWK(ecKeys.publicKey)), kid: "ec-1", alg: "ES256" }] });
    jwks = http.createServer((_req, res) => res.setHeader("content-type", "application/json").end(body));
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const port = (jwks.address() as any).port;
    t = await startTestApp({ env: { JWT_SECRET: "", JWKS_URL: `http://127.0.0.1:${port}/jwks.json`, JWT_ISSUER: "https://idp.test/", JWT_AUDIENCE: "dnsproof" } });
  });
  afterAll(async () => {
    await t?.close();
    jwks?.close();
  });

  const sign = (alg: "RS256" | "ES256", claims: Record<string, unknown>, opts: { iss?: string; aud?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid: alg === "RS256" ? "rsa-1" : "ec-1" })
      .setIssuer(opts.iss ?? "https://idp.test/")
      .setAudience(opts.aud ?? "dnsproof")
      .setExpirationTime("5m")
      .sign(alg === "RS256" ? keys.privateKey : ecKeys.privateKey);

  it("accepts RS256 and ES256 tokens from the issuer for the audience", async () => {
    for (const alg of ["RS256", "ES256"] as const) {
      const result = await t.gql(VIEWER, {}, { token: await sign(alg, { sub: `idp-${alg}` }) });
      expect(result.body.data.viewer.userId).toBe(`idp-${alg}`);
    }
  });

  it("refuses a wrong issuer or audience, and HS256 when no secret is configured", async () => {
    for (const token of [await sign("RS256", { sub: "x" }, { iss: "https://evil.test/" }), await sign("RS256", { sub: "x" }, { aud: "other" }), await hs256({ sub: "x" })]) {
      const result = await t.gql(VIEWER, {}, { token });
      expect(result.body.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    }
  });
});

describe("configuration", () => {
  it("refuses to start in production without JWT_SECRET or JWKS_URL", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: "short" })).toThrow(/at least 32/);
    expect(loadConfig({ NODE_ENV: "production", JWKS_URL: "https://idp.test/jwks", JWT_AUDIENCE: "dnsproof" }).auth.jwksUrl).toBe("https://idp.test/jwks");
  });

  it.each([
    ["DNS_SERVERS", "resolver.example"],
    ["DNS_MODE", "fast"],
    ["PORT", "http"],
    ["TOKEN_TTL_DAYS", "-1"],
  ])("refuses %s=%j with a message naming the setting", (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(key));
  });

  it("refuses a DATABASE_URL of an unsupported database, and reads both SQLite spellings", () => {
    expect(() => parseDatabaseUrl("postgres://x")).toThrow(/DATABASE_URL must start with mysql:\/\/ or sqlite:/);
    expect(parseDatabaseUrl("sqlite:data/x.sqlite")).toEqual({ kind: "sqlite", file: path.resolve("data/x.sqlite") });
    expect(parseDatabaseUrl("sqlite:///abs/x.sqlite")).toEqual({ kind: "sqlite", file: "/abs/x.sqlite" });
    expect(parseDatabaseUrl("mysql://u:p@h:3306/db")).toEqual({ kind: "mysql", url: "mysql://u:p@h:3306/db" });
  });

  it("refuses a DNS_QUORUM the configured servers can never meet", () => {
    expect(() => loadConfig({ DNS_SERVERS: "127.0.0.1:53,127.0.0.2:53", DNS_QUORUM: "3" })).toThrow(/DNS_QUORUM=3 can never be met by the 2 DNS_SERVERS/);
    expect(loadConfig({ DNS_SERVERS: "127.0.0.1:53,127.0.0.2:53", DNS_QUORUM: "2" }).dns.quorum).toBe(2);
  });

  it("accepts fractional durations", () => {
    const config = loadConfig({ TOKEN_TTL_DAYS: "0.0001", REVERIFY_GRACE_HOURS: "0.002" });
    expect(config.domains.tokenTtlMs).toBeCloseTo(8640);
    expect(config.domains.reverifyGraceMs).toBeCloseTo(7200);
  });

  it("makes a development secret once and keeps it across restarts, with a working printed token", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-dev-"));
    const env = { JWT_SECRET: "", NODE_ENV: "development", DEV_SECRET_FILE: path.join(dir, "secret") };
    const first = await startTestApp({ env });
    const token = first.app.devToken!;
    expect(token).toMatch(/^ey/);
    expect((await first.gql(VIEWER, {}, { token })).body.data.viewer).toMatchObject({ accountId: "dev-account", userId: "dev-user" });
    await first.close();
    const second = await startTestApp({ env });
    expect((await second.gql(VIEWER, {}, { token })).body.data.viewer.userId).toBe("dev-user");
    await second.close();
    expect(fs.statSync(path.join(dir, "secret")).mode & 0o777).toBe(0o600);
  });
});
