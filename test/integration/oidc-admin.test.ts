import http from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { ManualClock } from "../../src/shared/clock";
import { ConfigError, loadConfig } from "../../src/shared/config";
import { oidcServiceAccounts } from "../../src/auth/oidc-service-accounts";
import { TEST_JWT_SECRET, TestApp, startTestApp } from "../support/test-app";

const VIEWER = `{ viewer { accountId userId isAdmin } }`;
const AUDIENCE = "dnsproof-admin";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

describe("admins from an OIDC issuer's service accounts", () => {
  let provider: http.Server;
  let issuer: string;
  const requests: string[] = [];
  let rsa: KeyPair;
  let ec: KeyPair;
  let stranger: KeyPair;
  let t: TestApp;
  const clock = new ManualClock("2026-11-22T10:00:00.000Z");

  const sign = (claims: Record<string, unknown>, options: { keys?: KeyPair; alg?: "RS256" | "ES256"; kid?: string; audience?: string; iss?: string; expiresAt?: number } = {}) => {
    const alg = options.alg ?? "RS256";
    const keys = options.keys ?? (alg === "RS256" ? rsa : ec);
    return new SignJWT(claims)
      .setProtectedHeader({ alg, kid: options.kid ?? (alg === "RS256" ? "rsa-1" : "ec-1") })
      .setIssuer(options.iss ?? issuer)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.expiresAt ?? "5m")
      .sign(keys.privateKey);
  };

  beforeAll(async () => {
    [rsa, ec, stranger] = await Promise.all([generateKeyPair("RS256"), generateKeyPair("ES256"), generateKeyPair("RS256")]);
    const jwks = JSON.stringify({
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
        { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
      ],
    });
    provider = http.createServer((req, res) => {
      requests.push(req.url ?? "");
      res.setHeader("content-type", "application/json");
      if (req.url === "/realms/ops/.well-known/openid-configuration") {
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/protocol/openid-connect/certs`, id_token_signing_alg_values_supported: ["RS256", "ES256"] }));
      } else if (req.url === "/realms/ops/protocol/openid-connect/certs") {
        res.end(jwks);
      } else if (req.url === "/impostor/.well-known/openid-configuration") {
        res.end(JSON.stringify({ issuer: "https://elsewhere.example", jwks_uri: `${issuer}/protocol/openid-connect/certs` }));
      } else {
        res.statusCode = 404;
        res.end("{}");
      }
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/realms/ops`;
    t = await startTestApp({
      overrides: { clock },
      env: {
        ADMIN_OIDC_ISSUER: issuer,
        ADMIN_OIDC_AUDIENCE: AUDIENCE,
        ADMIN_OIDC_SERVICE_ACCOUNTS: "svc-ops, Reporter@Ops.Example",
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => provider?.close(resolve));
  });

  const viewer = async (token: string) => t.gql(VIEWER, {}, { token });

  it("makes a listed service account (by sub, RS256) an admin in an account of its own", async () => {
    const token = await sign({ sub: "svc-ops" });
    const result = await t.gql(`{ viewer { accountId userId isAdmin } adminDomains { totalCount } }`, {}, { token });
    expect(result.body).toEqual({ data: { viewer: { accountId: "oidc:svc-ops", userId: "svc-ops", isAdmin: true }, adminDomains: { totalCount: 0 } } });
  });

  it("makes a listed service account (by verified e-mail, ES256) an admin, but not with an unverified e-mail", async () => {
    const byEmail = await viewer(await sign({ sub: "1029384756", email: "reporter@ops.example", email_verified: true }, { alg: "ES256" }));
    expect(byEmail.body.data.viewer).toMatchObject({ isAdmin: true, userId: "1029384756" });
    const unverified = await viewer(await sign({ sub: "1029384757", email: "reporter@ops.example", email_verified: false }, { alg: "ES256" }));
    expect(unverified.body.data.viewer).toMatchObject({ isAdmin: false });
  });

  it("answers FORBIDDEN on admin fields to the issuer's other accounts, which never share a user's account", async () => {
    const token = await sign({ sub: "user-a", account_id: "user-a" });
    expect((await viewer(token)).body.data.viewer).toEqual({ accountId: "oidc:user-a", userId: "user-a", isAdmin: false });
    for (const operation of [`{ adminDomains { totalCount } }`, `mutation { reverifyDomains { checked } }`, `mutation { cleanupDomains { expired } }`]) {
      const denied = await t.gql(operation, {}, { token });
      expect(denied.body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);
    }
  });

  it.each([
    ["another audience", () => sign({ sub: "svc-ops" }, { audience: "some-other-service" }), /"aud"/],
    ["an expired token", () => sign({ sub: "svc-ops" }, { expiresAt: Math.floor(Date.now() / 1000) - 120 }), /expired/],
    ["a key the issuer does not publish", () => sign({ sub: "svc-ops" }, { keys: stranger, kid: "rsa-1" }), /signature/],
    ["an unknown key id", () => sign({ sub: "svc-ops" }, { keys: stranger, kid: "rsa-9" }), /key this server does not trust/],
    [
      "HS256 under the issuer's name, even with the server's own secret",
      () => new SignJWT({ sub: "svc-ops" }).setProtectedHeader({ alg: "HS256" }).setIssuer(issuer).setAudience(AUDIENCE).setExpirationTime("5m").sign(new TextEncoder().encode(TEST_JWT_SECRET)),
      /algorithm/,
    ],
    ["a token without sub", () => sign({}), /sub/],
  ])("refuses %s as UNAUTHENTICATED", async (_label, make, reason) => {
    const result = await viewer(await make());
    expect(result.status).toBe(401);
    expect(result.body.errors).toEqual([expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" }, message: expect.stringMatching(reason) })]);
  });

  it("discovers the keys once, through the issuer's discovery document", () => {
    expect(requests.filter((url) => url.endsWith("/openid-configuration"))).toEqual(["/realms/ops/.well-known/openid-configuration"]);
    expect(requests).toContain("/realms/ops/protocol/openid-connect/certs");
  });

  it("leaves users' own tokens as they were", async () => {
    expect((await viewer(await t.token("plain-user"))).body.data.viewer).toEqual({ accountId: "plain-user", userId: "plain-user", isAdmin: false });
  });

  it("audits what a service account does as ADMIN", async () => {
    const user = await t.token("lapsing-user");
    const claimed = await t.gql(`mutation { claimDomain(input: { name: "lapsing.example.com" }) { domain { id } } }`, {}, { token: user });
    const id = claimed.body.data.claimDomain.domain.id;
    clock.advance(31 * 24 * 3_600_000);
    const run = await t.gql(`mutation { cleanupDomains { expired deleted } }`, {}, { token: await sign({ sub: "svc-ops" }) });
    expect(run.body.data.cleanupDomains).toEqual({ expired: 1, deleted: 0 });
    const log = await t.gql(`query($id: ID!) { auditLog(domainId: $id) { nodes { action actor { type id } } } }`, { id }, { token: user });
    expect(log.body.data.auditLog.nodes[0]).toEqual({ action: "DOMAIN_EXPIRED", actor: { type: "ADMIN", id: "svc-ops" } });
  });

  it("refuses every token while the discovery document names another issuer", async () => {
    const impostor = issuer.replace("/realms/ops", "/impostor");
    const strategy = oidcServiceAccounts({ issuer: impostor, audience: AUDIENCE, serviceAccounts: ["svc-ops"] });
    const token = await sign({ sub: "svc-ops" }, { iss: impostor });
    expect(await strategy(token)).toEqual({ principal: null, problem: expect.stringMatching(/does not match ADMIN_OIDC_ISSUER/) });
    expect(await strategy(await sign({ sub: "svc-ops" }))).toBeNull();
  });

  it("checks its settings at start-up", () => {
    const base = { ADMIN_OIDC_ISSUER: "https://accounts.example.com", ADMIN_OIDC_AUDIENCE: "dnsproof", ADMIN_OIDC_SERVICE_ACCOUNTS: "svc" };
    expect(loadConfig(base).auth.adminOidc).toEqual({ issuer: "https://accounts.example.com", audience: "dnsproof", serviceAccounts: ["svc"] });
    expect(() => loadConfig({ ...base, ADMIN_OIDC_AUDIENCE: "" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ADMIN_OIDC_SERVICE_ACCOUNTS: "" })).toThrow(ConfigError);
    expect(() => loadConfig({ ADMIN_OIDC_AUDIENCE: "dnsproof" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ADMIN_OIDC_ISSUER: "http://accounts.example.com" })).toThrow(/https/);
    expect(loadConfig({ ...base, ADMIN_OIDC_ISSUER: "http://127.0.0.1:8080" }).auth.adminOidc?.issuer).toBe("http://127.0.0.1:8080");
  });
});
