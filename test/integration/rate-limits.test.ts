import { Writable } from "node:stream";
import pino from "pino";
import { ManualClock } from "../../src/shared/clock";
import { rateLimitIdentity } from "../../src/graphql/rate-limits/rate-limit.middleware";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id } userErrors { code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { userErrors { code } } }`;
const REGENERATE = `mutation($id: ID!) { regenerateToken(input: { id: $id }) { userErrors { code } } }`;
const REMOVE = `mutation($id: ID!) { removeDomain(input: { id: $id }) { userErrors { code } } }`;
const MISSING_ID = Buffer.from("Domain:00000000-0000-7000-8000-000000000000").toString("base64url");

describe.each(DATABASE_FLAVORS)("rate limits on %s", (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  let seq = 0;
  const account = () => t.token(`rl-${db}-${++seq}`);

  beforeAll(async () => {
    t = await startTestApp({
      db,
      overrides: { clock, verifier: new ScriptedVerifier(clock) },
      env: { RATE_LIMIT_MUTATIONS_PER_MINUTE: "4", RATE_LIMIT_VERIFY_PER_MINUTE: "2", ADMIN_USER_IDS: "rl-admin" },
    });
  });
  afterAll(async () => t?.close());

  it("counts claimDomain, regenerateToken and removeDomain against one quota, and refuses the next with 429", async () => {
    const token = await account();
    const first = (await t.gql(CLAIM, { name: "one.example.com" }, { token })).body.data.claimDomain.domain;
    await t.gql(CLAIM, { name: "two.example.com" }, { token });
    expect((await t.gql(REGENERATE, { id: first.id }, { token })).status).toBe(200);
    expect((await t.gql(REMOVE, { id: first.id }, { token })).status).toBe(200);

    const refused = await t.gql(CLAIM, { name: "three.example.com" }, { token });
    expect(refused.status).toBe(429);
    // Refused before it ran: no data at all.
    expect(refused.body.data ?? null).toBeNull();
    const [error] = refused.body.errors!;
    expect(error.extensions).toEqual({ code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) });
    expect(error.extensions!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.extensions!.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(Number(refused.headers.get("retry-after"))).toBe(error.extensions!.retryAfterSeconds);
    expect(error.message).toMatch(/claimDomain, regenerateToken, removeDomain, createApiKey, revokeApiKey, the certificate, attestation and webhook endpoint mutations together.*4 times/);

    const viewer = await t.gql(`{ viewer { domainCount } domains { nodes { name } } }`, {}, { token });
    expect(viewer.body.data).toEqual({ viewer: { domainCount: 1 }, domains: { nodes: [{ name: "two.example.com" }] } });
  });

  it("counts issueCertificate, revokeCertificate and issueDomainAttestation against the same quota", async () => {
    const token = await account();
    const certificateId = Buffer.from("Certificate:00000000-0000-7000-8000-000000000000").toString("base64url");
    const calls = [
      () => t.gql(`mutation($id: ID!) { issueCertificate(input: { domainId: $id, csr: "x" }) { userErrors { code } } }`, { id: MISSING_ID }, { token }),
      () => t.gql(`mutation($id: ID!) { revokeCertificate(input: { id: $id }) { userErrors { code } } }`, { id: certificateId }, { token }),
      () => t.gql(`mutation($id: ID!) { issueDomainAttestation(input: { domainId: $id }) { userErrors { code } } }`, { id: MISSING_ID }, { token }),
      () => t.gql(`mutation($id: ID!) { issueDomainAttestation(input: { domainId: $id }) { userErrors { code } } }`, { id: MISSING_ID }, { token }),
    ];
    for (const call of calls) expect((await call()).status).toBe(200);
    const refused = await calls[0]();
    expect(refused.status).toBe(429);
    expect(refused.body.errors![0].extensions!.code).toBe("RATE_LIMITED");
  });

  it("gives verifyDomain its own quota", async () => {
    const token = await account();
    for (let i = 0; i < 4; i++) await t.gql(REGENERATE, { id: MISSING_ID }, { token });
    expect((await t.gql(REGENERATE, { id: MISSING_ID }, { token })).status).toBe(429);
    expect((await t.gql(VERIFY, { id: MISSING_ID }, { token })).body.data.verifyDomain.userErrors).toEqual([{ code: "NOT_FOUND" }]);
    expect((await t.gql(VERIFY, { id: MISSING_ID }, { token })).status).toBe(200);
    const third = await t.gql(VERIFY, { id: MISSING_ID }, { token });
    expect(third.status).toBe(429);
    expect(third.body.errors![0].message).toMatch(/verifyDomain may be called 2 times/);
  });

  it("counts each alias: an operation whose aliases exceed the quota is refused whole, before any of it runs", async () => {
    const token = await account();
    const { id } = (await t.gql(CLAIM, { name: "aliased.example.com" }, { token })).body.data.claimDomain.domain;
    const verify = (alias: string) => `${alias}: verifyDomain(input: { id: $id }) { check { outcome } }`;
    const aliased = await t.gql(`mutation($id: ID!) { ${verify("a")} ${verify("b")} ${verify("c")} }`, { id }, { token });
    expect(aliased.status).toBe(429);
    expect(aliased.body.data ?? null).toBeNull();
    expect(aliased.body.errors).toEqual([
      expect.objectContaining({ message: expect.stringContaining("calls them 3 times, so none of it ran"), extensions: expect.objectContaining({ code: "RATE_LIMITED" }) }),
    ]);
    const two = await t.gql(`mutation($id: ID!) { ${verify("a")} ${verify("b")} }`, { id }, { token });
    expect(two.body.errors).toBeUndefined();
    const log = await t.gql(`query($id: ID!) { domain(id: $id) { auditLog { nodes { action } } } }`, { id }, { token });
    expect(log.body.data.domain.auditLog.nodes.map((n: any) => n.action)).toEqual(["VERIFICATION_FAILED", "VERIFICATION_FAILED", "DOMAIN_CLAIMED"]);
  });

  it("counts each operation of a batch once, even though they run at the same time", async () => {
    const token = await account();
    const batch = Array.from({ length: 6 }, (_, i) => ({ query: CLAIM, variables: { name: `batch${i}.example.com` } }));
    const response = await t.post(batch, { token });
    expect(response.body).toHaveLength(6);
    const codes = response.body.map((r: any) => (r.errors ? r.errors[0].extensions.code : "OK"));
    expect(codes.filter((c: string) => c === "OK")).toHaveLength(4);
    expect(codes.filter((c: string) => c === "RATE_LIMITED")).toHaveLength(2);
    expect((await t.gql(`{ viewer { domainCount } }`, {}, { token })).body.data.viewer.domainCount).toBe(4);
  });

  it("keeps accounts apart, and lets API keys share their account's quota", async () => {
    const owner = await account();
    const other = await account();
    const key = (await t.gql(`mutation { createApiKey(input: { name: "ci" }) { secret } }`, {}, { token: owner })).body.data.createApiKey.secret;
    await t.gql(VERIFY, { id: MISSING_ID }, { token: owner });
    expect((await t.gql(VERIFY, { id: MISSING_ID }, { token: key })).status).toBe(200);
    expect((await t.gql(VERIFY, { id: MISSING_ID }, { token: key })).status).toBe(429);
    expect((await t.gql(VERIFY, { id: MISSING_ID }, { token: owner })).status).toBe(429);
    expect((await t.gql(VERIFY, { id: MISSING_ID }, { token: other })).status).toBe(200);
  });

  it("does not limit admins", async () => {
    const admin = await t.token("rl-admin");
    for (let i = 0; i < 8; i++) {
      const result = await t.gql(VERIFY, { id: MISSING_ID }, { token: admin });
      expect(result.status).toBe(200);
      expect(result.body.errors).toBeUndefined();
    }
  });
});

describe("rate-limit identity", () => {
  it("is the account when signed in, the client IP otherwise", () => {
    const principal = { accountId: "acme", userId: "u", email: null, isAdmin: false, via: "jwt" as const, expiresAt: null };
    expect(rateLimitIdentity({ principal, clientIp: "203.0.113.9" })).toBe("account:acme");
    expect(rateLimitIdentity({ principal: null, clientIp: "203.0.113.9" })).toBe("ip:203.0.113.9");
  });

  it.each([
    [{}, "127.0.0.1"],
    [{ TRUST_PROXY: "loopback" }, "203.0.113.9"],
    [{ TRUST_PROXY: "1" }, "203.0.113.9"],
  ])("takes the client IP from X-Forwarded-For only behind a trusted proxy (%j)", async (env, expected) => {
    const lines: any[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const t = await startTestApp({ env, overrides: { logger: pino({ level: "info" }, sink) } });
    try {
      await t.gql(`{ viewer { accountId } }`, {}, { headers: { "x-forwarded-for": "198.51.100.1, 203.0.113.9" } });
      const line = lines.find((l) => l.msg === "graphql operation");
      expect(line.clientIp.replace(/^::ffff:/, "")).toBe(expected);
    } finally {
      await t.close();
    }
  });
});
