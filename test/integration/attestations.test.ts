import fs from "node:fs";
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { systemClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";
import { PkiWorkspace, createPkiWorkspace } from "../support/pki";

const ISSUER = "https://dnsproof.test";
const ATTEST = `mutation($domainId: ID!, $audience: String) { issueDomainAttestation(input: { domainId: $domainId, audience: $audience }) { attestation expiresAt userErrors { code field message } } }`;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified domain { verifiedAt } } }`;

describe.each(DATABASE_FLAVORS)("ownership attestations on %s", (db) => {
  let pki: PkiWorkspace;
  let keys: { first: string; second: string };
  const verifier = new ScriptedVerifier(systemClock);
  let seq = 0;

  beforeAll(async () => {
    pki = createPkiWorkspace();
    keys = { first: fs.readFileSync(await pki.key("ec"), "utf8"), second: fs.readFileSync(await pki.key("ec"), "utf8") };
  });
  afterAll(() => pki.cleanup());

  const start = (keyPem: string, options: { database?: TestApp["database"]; env?: Record<string, string> } = {}) =>
    startTestApp({ db, database: options.database, overrides: { verifier }, env: { PUBLIC_URL: ISSUER, ATTESTATION_KEY_FILE: pki.write("attestation-keys.pem", keyPem), ...options.env } });
  const verifiedDomain = async (t: TestApp, token: string) => {
    const name = `attested-${++seq}-${db}.example.com`;
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    verifier.publish(name, [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    verifier.dnssec = "SECURE";
    const verified = (await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain;
    return { id: domain.id as string, name, verifiedAt: verified.domain.verifiedAt as string };
  };
  const jwksOf = (t: TestApp) => createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`));

  it("issues a JWT a relying party verifies against the served JWKS, with the domain, the account and how it was verified", async () => {
    const t = await start(keys.first);
    try {
      const token = await t.token(`attest-${db}`);
      const domain = await verifiedDomain(t, token);
      const result = (await t.gql(ATTEST, { domainId: domain.id, audience: "https://rp.example" }, { token })).body.data.issueDomainAttestation;
      expect(result.userErrors).toEqual([]);
      const { payload, protectedHeader } = await jwtVerify(result.attestation, jwksOf(t), { issuer: ISSUER, audience: "https://rp.example", algorithms: ["ES256"] });
      expect(protectedHeader).toMatchObject({ alg: "ES256", kid: expect.any(String), typ: "JWT" });
      expect(payload).toMatchObject({
        iss: ISSUER,
        sub: domain.name,
        aud: "https://rp.example",
        account_id: `attest-${db}`,
        verified_at: Math.floor(new Date(domain.verifiedAt).getTime() / 1000),
        verification_method: "TXT",
        dnssec: "SECURE",
        jti: expect.any(String),
      });
      expect(payload.exp! - payload.iat!).toBe(3600);
      expect(new Date(result.expiresAt).getTime()).toBe(payload.exp! * 1000);

      const log = (await t.gql(`query($d: ID) { auditLog(domainId: $d, action: DOMAIN_ATTESTATION_ISSUED) { nodes { message actor { type } } } }`, { d: domain.id }, { token })).body.data.auditLog.nodes;
      expect(log).toEqual([{ message: expect.stringContaining(payload.jti!), actor: { type: "USER" } }]);

      const withoutAudience = (await t.gql(ATTEST, { domainId: domain.id }, { token })).body.data.issueDomainAttestation;
      expect((await jwtVerify(withoutAudience.attestation, jwksOf(t), { issuer: ISSUER })).payload.aud).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it("publishes public keys only, each with its kid", async () => {
    const t = await start(keys.second + keys.first);
    try {
      const response = await fetch(`${t.url}/.well-known/jwks.json`);
      expect(response.headers.get("content-type")).toContain("application/jwk-set+json");
      const jwks = (await response.json()) as { keys: Record<string, string>[] };
      expect(jwks.keys).toHaveLength(2);
      for (const key of jwks.keys) {
        expect(Object.keys(key).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
        expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
      }
      expect(new Set(jwks.keys.map((k) => k.kid)).size).toBe(2);
    } finally {
      await t.close();
    }
  });

  it("keeps earlier attestations verifiable across a key rotation, and signs with the new first key", async () => {
    const database = await createScratchDatabase(db);
    const before = await start(keys.first, { database });
    const token = await before.token(`rotate-${db}`);
    const domain = await verifiedDomain(before, token);
    const old = (await before.gql(ATTEST, { domainId: domain.id }, { token })).body.data.issueDomainAttestation.attestation;
    await before.close();

    const rotated = await start(keys.second + "\n" + keys.first, { database });
    try {
      await expect(jwtVerify(old, jwksOf(rotated), { issuer: ISSUER })).resolves.toBeTruthy();
      const fresh = (await rotated.gql(ATTEST, { domainId: domain.id }, { token })).body.data.issueDomainAttestation.attestation;
      await expect(jwtVerify(fresh, jwksOf(rotated), { issuer: ISSUER })).resolves.toBeTruthy();
      expect(decodeProtectedHeader(fresh).kid).not.toBe(decodeProtectedHeader(old).kid);
    } finally {
      await rotated.close();
    }

    // Once the old key is dropped from the file, what it signed stops verifying.
    const retired = await start(keys.second, { database });
    try {
      await expect(jwtVerify(old, jwksOf(retired), { issuer: ISSUER })).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    } finally {
      await retired.close();
      await database.drop();
    }
  });

  it("attests only the caller's VERIFIED domains, for at most ATTESTATION_TTL_MINUTES", async () => {
    const t = await start(keys.first, { env: { ATTESTATION_TTL_MINUTES: "5" } });
    try {
      const token = await t.token(`attest-rules-${db}`);
      const pending = (await t.gql(CLAIM, { name: `pending-${++seq}-${db}.example.com` }, { token })).body.data.claimDomain.domain;
      expect((await t.gql(ATTEST, { domainId: pending.id }, { token })).body.data.issueDomainAttestation).toEqual({
        attestation: null,
        expiresAt: null,
        userErrors: [expect.objectContaining({ code: "DOMAIN_NOT_VERIFIED", field: ["input", "domainId"] })],
      });
      const domain = await verifiedDomain(t, token);
      const other = await t.token(`attest-other-${db}`);
      expect((await t.gql(ATTEST, { domainId: domain.id }, { token: other })).body.data.issueDomainAttestation.userErrors).toEqual([expect.objectContaining({ code: "NOT_FOUND" })]);
      const short = (await t.gql(ATTEST, { domainId: domain.id }, { token })).body.data.issueDomainAttestation.attestation;
      const { payload } = await jwtVerify(short, jwksOf(t), { issuer: ISSUER });
      expect(payload.exp! - payload.iat!).toBe(300);
    } finally {
      await t.close();
    }
  });
});

describe("attestation keys", () => {
  let pki: PkiWorkspace;
  beforeAll(() => (pki = createPkiWorkspace()));
  afterAll(() => pki.cleanup());

  it("refuses to start with a key that cannot sign ES256", async () => {
    const rsa = await pki.key("rsa2048");
    const database = await createScratchDatabase("sqlite");
    try {
      await expect(startTestApp({ database, env: { ATTESTATION_KEY_FILE: rsa } })).rejects.toThrow(/ATTESTATION_KEY_FILE .*key 1 must be an EC P-256 key/);
    } finally {
      await database.drop();
    }
  });

  it("keeps attestations off in production until a key is configured", async () => {
    const t = await startTestApp({ env: { NODE_ENV: "production" } });
    try {
      const { domain } = (await t.gql(CLAIM, { name: "no-key.example.com" })).body.data.claimDomain;
      const result = await t.gql(ATTEST, { domainId: domain.id });
      expect(result.body.errors).toEqual([expect.objectContaining({ extensions: { code: "NOT_CONFIGURED" }, message: expect.stringContaining("ATTESTATION_KEY_FILE") })]);
      expect(await (await fetch(`${t.url}/.well-known/jwks.json`)).json()).toEqual({ keys: [] });
    } finally {
      await t.close();
    }
  });
});
