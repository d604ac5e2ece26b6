import http from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { TestApp, startTestApp } from "../support/test-app";
import { connectSubscriber } from "../support/subscriptions";

/**
 * Authenticating a WebSocket connection: guessing credentials there is limited exactly as on
 * HTTP (one count per address for both), ADMIN_SECRET opens nothing there, and a connection
 * made with an admin OIDC token ends when that token does.
 */
const SUBSCRIBE = `subscription { auditEntryAdded { id } }`;
const ADMIN_SECRET = "ws-admin-secret-0123456789abcdef0123456789";
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("failed WebSocket authentications", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      // Each test speaks from an address of its own, through the trusted loopback proxy.
      env: { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: "5", TRUST_PROXY: "loopback", ADMIN_SECRET, WEBHOOK_WORKER_ENABLED: "false" },
    });
  });
  afterAll(async () => t?.close());
  const attempt = async (authorization: string, address: string) => {
    const connection = connectSubscriber(t.url, authorization, { headers: { "x-forwarded-for": address } });
    const outcome = await Promise.race([connection.connected.then(() => "connected" as const), connection.closed]);
    await connection.client.dispose();
    return outcome;
  };

  it("are limited per address as on HTTP: past the limit even a valid token is not looked at, on either path", async () => {
    const address = "198.51.100.1";
    for (let i = 0; i < 5; i++) expect(await attempt(`Bearer not-a-token-${i}`, address)).toEqual({ code: 4403, reason: "Forbidden" });
    const valid = `Bearer ${await t.token("ws-guesser")}`;
    const refused = await attempt(valid, address);
    expect(refused).toMatchObject({ code: 4429, reason: expect.stringContaining("Too many failed authentications") });
    const overHttp = await t.gql(`{ viewer { accountId } }`, {}, { token: valid.slice(7), headers: { "x-forwarded-for": address } });
    expect(overHttp.status).toBe(429);
    // Another address is not held back.
    expect(await attempt(valid, "198.51.100.9")).toBe("connected");
  });

  it("count HTTP's failures too: one limit for both paths", async () => {
    const address = "198.51.100.4";
    for (let i = 0; i < 5; i++) await t.gql(`{ viewer { accountId } }`, {}, { token: `bad-${i}`, headers: { "x-forwarded-for": address } });
    expect(await attempt(`Bearer ${await t.token("ws-after-http")}`, address)).toMatchObject({ code: 4429 });
  });

  it("refuse ADMIN_SECRET exactly like a wrong secret, and count it as a failure", async () => {
    const address = "198.51.100.2";
    const right = await attempt(`Bearer ${ADMIN_SECRET}`, address);
    const wrong = await attempt(`Bearer ${ADMIN_SECRET.replace(/.$/, "x")}`, address);
    expect(right).toEqual({ code: 4403, reason: "Forbidden" });
    expect(wrong).toEqual(right);
    for (let i = 0; i < 3; i++) await attempt(`Bearer ${ADMIN_SECRET}`, address);
    expect(await attempt(`Bearer ${ADMIN_SECRET}`, address)).toMatchObject({ code: 4429 });
    // HTTP still takes it, for the cron jobs it exists for.
    const viaHttp = await t.gql(`{ viewer { isAdmin } }`, {}, { token: ADMIN_SECRET, headers: { "x-forwarded-for": "198.51.100.3" } });
    expect(viaHttp.body.data).toEqual({ viewer: { isAdmin: true } });
  });
});

describe("a WebSocket connection made with an admin OIDC token", () => {
  let provider: http.Server;
  let issuer: string;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let t: TestApp;
  beforeAll(async () => {
    keys = await generateKeyPair("ES256");
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" }] });
    provider = http.createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/ops/.well-known/openid-configuration") res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/certs` }));
      else if (req.url === "/ops/certs") res.end(jwks);
      else res.writeHead(404).end("{}");
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/ops`;
    t = await startTestApp({
      env: { ADMIN_OIDC_ISSUER: issuer, ADMIN_OIDC_AUDIENCE: "dnsproof-admin", ADMIN_OIDC_SERVICE_ACCOUNTS: "svc-ops", WEBHOOK_WORKER_ENABLED: "false" },
    });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => provider?.close(resolve));
  });

  it("closes when the token expires", async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const token = await new SignJWT({ sub: "svc-ops" })
      .setProtectedHeader({ alg: "ES256", kid: "ec-1" })
      .setIssuer(issuer)
      .setAudience("dnsproof-admin")
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(keys.privateKey);
    expect((await t.gql(`{ viewer { accountId isAdmin } }`, {}, { token })).body.data.viewer).toEqual({ accountId: "oidc:svc-ops", isAdmin: true });

    const connection = connectSubscriber(t.url, `Bearer ${token}`);
    await connection.connected;
    connection.subscribe(SUBSCRIBE);
    const closed = await Promise.race([connection.closed, pause(10_000).then(() => null)]);
    expect(closed).toEqual({ code: 4403, reason: "Forbidden: the token has expired" });
    // Closed at the token's exp, not long after.
    expect(Date.now()).toBeLessThan(expiresAt * 1000 + 3000);
    await connection.client.dispose();
  });
});
