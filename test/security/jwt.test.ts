import http from "node:http";
import type { AddressInfo } from "node:net";
import { JWK, KeyLike, SignJWT, exportJWK, exportSPKI, generateKeyPair } from "jose";
import { TEST_JWT_SECRET, TestApp, startTestApp } from "../support/test-app";

const ISSUER = "https://id.example.test/";
const AUDIENCE = "dnsproof-api";
const KID = "trusted-1";
const VIEWER = `{ viewer { accountId } }`;

const b64 = (value: object | string) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({ sub: "mallory", iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600, ...extra });

async function sign(alg: string, key: KeyLike | Uint8Array, payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT", ...header }).sign(key);
}

describe("JWT attacks", () => {
  let jwks: http.Server;
  let trusted: { privateKey: KeyLike; publicKey: KeyLike };
  let attacker: { privateKey: KeyLike; publicKey: KeyLike };
  let attackerEc: { privateKey: KeyLike; publicKey: KeyLike };
  let trustedJwk: JWK;
  let withSecret: TestApp;
  let jwksOnly: TestApp;
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);

  beforeAll(async () => {
    trusted = await generateKeyPair("RS256");
    attacker = await generateKeyPair("RS256");
    attackerEc = await generateKeyPair("ES256");
    trustedJwk = { ...(await exportJWK(trusted.publicKey)), kid: KID, alg: "RS256", use: "sig" };
    jwks = http.createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [trustedJwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    withSecret = await startTestApp({ env: { JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
    jwksOnly = await startTestApp({ database: withSecret.database, env: { JWT_SECRET: "", JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
  });
  afterAll(async () => {
    await jwksOnly?.close();
    await withSecret?.close();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  it("accepts the genuine articles (the controls)", async () => {
    for (const [t, token] of [
      [withSecret, await sign("HS256", secret, claims())],
      [withSecret, await sign("RS256", trusted.privateKey, claims(), { kid: KID })],
      [jwksOnly, await sign("RS256", trusted.privateKey, claims(), { kid: KID })],
    ] as const) {
      expect((await t.gql(VIEWER, {}, { token })).body).toEqual({ data: { viewer: { accountId: "mallory" } } });
    }
  });

  const attacks: [string, () => Promise<string>][] = [
    ["alg none", async () => `${b64({ alg: "none", typ: "JWT" })}.${b64(claims())}.`],
    ["alg NONE with a signature", async () => `${b64({ alg: "NONE", typ: "JWT" })}.${b64(claims())}.${b64("sig")}`],
    ["HS256 signed with the RSA public key (algorithm confusion)", async () => sign("HS256", new TextEncoder().encode(await exportSPKI(trusted.publicKey)), claims(), { kid: KID })],
    ["HS256 signed with the JWK's modulus", async () => sign("HS256", Buffer.from(trustedJwk.n!, "base64url"), claims(), { kid: KID })],
    ["HS512 with the right secret (algorithm not allowed)", async () => sign("HS512", secret, claims())],
    ["HS384 with the right secret", async () => sign("HS384", secret, claims())],
    ["RS256 signed by another key under the trusted kid", async () => sign("RS256", attacker.privateKey, claims(), { kid: KID })],
    ["RS256 carrying its own key in the header (embedded jwk)", async () => sign("RS256", attacker.privateKey, claims(), { jwk: await exportJWK(attacker.publicKey) })],
    ["ES256 signed by another key", async () => sign("ES256", attackerEc.privateKey, claims(), { kid: KID })],
    ["HS256 signed with another secret", async () => sign("HS256", new TextEncoder().encode("not-the-secret-0123456789abcdef0123"), claims())],
    ["a payload changed after signing", async () => {
      const [header, , signature] = (await sign("HS256", secret, claims({ sub: "mallory" }))).split(".");
      return `${header}.${b64(claims({ sub: "root-admin" }))}.${signature}`;
    }],
    ["a signature with one character changed", async () => {
      const token = await sign("HS256", secret, claims());
      return token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    }],
    ["expired", async () => sign("HS256", secret, claims({ exp: now() - 3600, iat: now() - 7200 }))],
    ["not valid yet (nbf in the future)", async () => sign("HS256", secret, claims({ nbf: now() + 3600 }))],
    ["issued by another issuer", async () => sign("HS256", secret, claims({ iss: "https://evil.example.test/" }))],
    ["without an issuer", async () => sign("HS256", secret, claims({ iss: undefined }))],
    ["for another audience", async () => sign("HS256", secret, claims({ aud: "another-api" }))],
    ["without an audience", async () => sign("HS256", secret, claims({ aud: undefined }))],
    ["RS256 from the trusted key, for another audience", async () => sign("RS256", trusted.privateKey, claims({ aud: "another-api" }), { kid: KID })],
    ["without a subject", async () => sign("HS256", secret, claims({ sub: undefined }))],
    ["not a JWT at all", async () => "definitely-not-a-jwt"],
    ["three empty parts", async () => ".."],
  ];

  it.each(attacks)("refuses %s with UNAUTHENTICATED, in both configurations", async (_name, forge) => {
    const token = await forge();
    for (const t of [withSecret, jwksOnly]) {
      const response = await t.gql(VIEWER, {}, { token });
      expect(response.status).toBe(401);
      // Refused before execution: no data at all.
      expect(response.body).toEqual({ errors: [expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" } })] });
    }
  });

  it.each([["Basic bWFsbG9yeTpzZWNyZXQ="], ["Bearer"], ["Bearer a b"], ["bearer"]])("refuses the header %j with UNAUTHENTICATED", async (authorization) => {
    const response = await withSecret.gql(VIEWER, {}, { token: null, headers: { authorization } });
    expect(response.status).toBe(401);
    expect(response.body.errors).toEqual([expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" } })]);
  });
});
