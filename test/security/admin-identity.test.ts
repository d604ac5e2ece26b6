/**
 * Replays the review's identity attacks: unverified e-mails that made admins, a Kelvin sign that
 * lower-cased into an allowlisted address, a key whose creator looked like ADMIN_SECRET, token
 * claims that named the accounts of ADMIN_SECRET and OIDC callers, and tokens without "exp".
 */
import { SignJWT } from "jose";
import { ApiKey } from "../../src/api-keys/api-key.entity";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";
import { TEST_JWT_SECRET, startTestApp } from "../support/test-app";

const VIEWER = `{ viewer { accountId isAdmin } }`;
const CREATE_KEY = `mutation { createApiKey(input: { name: "ops" }) { secret userErrors { code } } }`;
const ADMIN_SECRET = "an-admin-secret-of-at-least-32-characters";

describe.each(DATABASE_FLAVORS)("admin identity on %s", (db) => {
  it("counts an e-mail for ADMIN_EMAILS only when email_verified is true or \"true\", compared in ASCII only", async () => {
    const t = await startTestApp({ db, env: { ADMIN_EMAILS: "kim@example.com" } });
    try {
      const isAdmin = async (claims: Record<string, unknown>) => (await t.gql(VIEWER, {}, { token: await t.token("someone", claims) })).body.data.viewer.isAdmin;
      for (const email_verified of ["false", 0, null, "False", 1, "yes", undefined]) {
        expect({ email_verified, admin: await isAdmin({ email: "kim@example.com", email_verified }) }).toEqual({ email_verified, admin: false });
      }
      // "\u212A" is the Kelvin sign, which toLowerCase() turns into "k".
      expect(await isAdmin({ email: "\u212AIM@example.com", email_verified: true })).toBe(false);
      expect(await isAdmin({ email: "kim@exam\u0131ple.com", email_verified: true })).toBe(false);
      expect(await isAdmin({ email: "KIM@Example.com", email_verified: true })).toBe(true);
      expect(await isAdmin({ email: "kim@example.com", email_verified: "true" })).toBe(true);
    } finally {
      await t.close();
    }
  });

  it("stores only a trusted e-mail with a key, and records ADMIN_SECRET creation in a column a token cannot fake", async () => {
    const database = await createScratchDatabase(db);
    const env = { ADMIN_SECRET, ADMIN_ALLOW_API_KEYS: "true" };
    let t = await startTestApp({ db, database, env: { ...env, ADMIN_USER_IDS: "admin-secret", ADMIN_EMAILS: "kim@example.com" } });
    let lookalikeKey: string;
    let secretKey: string;
    try {
      // A person whose user id happens to be "admin-secret", an admin while listed.
      const lookalike = await t.token("admin-secret", { email: "kim@example.com", email_verified: false });
      lookalikeKey = (await t.gql(CREATE_KEY, {}, { token: lookalike })).body.data.createApiKey.secret;
      secretKey = (await t.gql(CREATE_KEY, {}, { token: ADMIN_SECRET })).body.data.createApiKey.secret;
      const rows = await t.app.dataSource.getRepository(ApiKey).find({ order: { createdAt: "ASC" } });
      expect(rows.map((r) => ({ createdBy: r.createdBy, createdByEmail: r.createdByEmail, createdByAdminSecret: r.createdByAdminSecret }))).toEqual([
        { createdBy: "admin-secret", createdByEmail: null, createdByAdminSecret: false },
        { createdBy: null, createdByEmail: null, createdByAdminSecret: true },
      ]);
    } finally {
      await t.close();
    }
    // The person is no longer an admin; ADMIN_SECRET still is.
    t = await startTestApp({ db, database, env });
    try {
      const viewer = async (token: string) => (await t.gql(VIEWER, {}, { token })).body.data.viewer;
      expect(await viewer(lookalikeKey)).toEqual({ accountId: "admin-secret", isAdmin: false });
      expect(await viewer(secretKey)).toEqual({ accountId: "admin", isAdmin: true });
    } finally {
      await t.close();
      await database.drop();
    }
  });

  it("never lets token claims reach the accounts of ADMIN_SECRET or OIDC callers", async () => {
    const t = await startTestApp({ db, env: { ADMIN_SECRET } });
    try {
      await t.gql(`mutation { claimDomain(input: { name: "cron.example.com" }) { created } }`, {}, { token: ADMIN_SECRET });
      for (const [sub, claims] of [["admin", {}], ["x", { account_id: "admin" }], ["x", { account_id: "oidc:svc" }], ["oidc:svc", {}]] as const) {
        const response = await t.gql(`{ domains { totalCount } }`, {}, { token: await t.token(sub, claims) });
        expect(response.status).toBe(401);
        expect(response.body.errors![0]).toMatchObject({ extensions: { code: "UNAUTHENTICATED" }, message: expect.stringContaining("reserved") });
      }
      expect((await t.gql(`{ domains { totalCount } }`, {}, { token: ADMIN_SECRET })).body.data.domains.totalCount).toBe(1);
    } finally {
      await t.close();
    }
  });
});

describe("tokens without exp", () => {
  it("are refused: a leaked one would be good forever", async () => {
    const t = await startTestApp();
    try {
      const forever = await new SignJWT({ sub: "u" }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().sign(new TextEncoder().encode(TEST_JWT_SECRET));
      const response = await t.gql(VIEWER, {}, { token: forever });
      expect(response.status).toBe(401);
      expect(response.body.errors![0].message).toMatch(/^The token has no "exp" claim; only tokens that expire are accepted\./);
    } finally {
      await t.close();
    }
  });
});
