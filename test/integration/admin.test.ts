import { ManualClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";

const HOUR = 3_600_000;
const fromGlobalId = (id: string) => Buffer.from(id, "base64url").toString("utf8").split(":").slice(1).join(":");
const DAY = 24 * HOUR;

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified domain { status } } }`;
const READ = `query($id: ID!) { domain(id: $id) { status failingSince lastCheckedAt } }`;
const AUDIT = `query($id: ID!) { auditLog(domainId: $id, first: 100) { nodes { action previousStatus newStatus requestId actor { type id } domain { id } domainName } } }`;
const REVERIFY = `mutation($limit: Int) { reverifyDomains(input: { limit: $limit }) { checked stillVerified inGracePeriod revoked dnsErrors } }`;
const CLEANUP = `mutation { cleanupDomains { expired deleted } }`;

describe.each(DATABASE_FLAVORS)("admin operations on %s", (db) => {
  const clock = new ManualClock("2026-11-22T10:00:00.000Z");
  const verifier = new ScriptedVerifier(clock);
  let t: TestApp;
  let seq = 0;
  let admin: string;

  const start = async () => {
    t = await startTestApp({ db, overrides: { clock, verifier }, env: { ADMIN_USER_IDS: "ops-admin", ADMIN_SECRET: "cron-secret-for-admin-tests" } });
    admin = await t.token("ops-admin", { email: "ops@example.com" });
  };
  const claim = async (name: string) => {
    const token = await t.token(`admin-${db}-${++seq}`);
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    return { token, name, id: domain.id as string, dnsToken: domain.txtRecord.value.replace("dnsproof-verification=", "") as string };
  };
  type Claim = Awaited<ReturnType<typeof claim>>;
  const verify = async (c: Claim) => (await t.gql(VERIFY, { id: c.id }, { token: c.token })).body.data.verifyDomain;
  const read = async (c: Claim) => (await t.gql(READ, { id: c.id }, { token: c.token })).body.data.domain;
  const audit = async (c: Claim) => (await t.gql(AUDIT, { id: c.id }, { token: c.token })).body.data.auditLog.nodes;

  describe("reverifyDomains", () => {
    beforeAll(start);
    afterAll(async () => t?.close());

    it("is for admins only", async () => {
      const user = await t.token("someone");
      for (const mutation of [REVERIFY, CLEANUP]) {
        const denied = await t.gql(mutation, {}, { token: user });
        expect(denied.body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);
      }
      const anonymous = await t.gql(REVERIFY, {}, { token: null });
      expect(anonymous.body.errors).toEqual([expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" } })]);
    });

    it("lists every account's domains, filtered by account, name and status", async () => {
      const a = await claim("filter-one.example.com");
      const b = await claim("filter-two.example.com");
      verifier.publish(b.name, [b.dnsToken]);
      await verify(b);
      const accountOf = async (c: Claim) => (await t.gql(`{ viewer { accountId } }`, {}, { token: c.token })).body.data.viewer.accountId;
      const list = async (args: string) =>
        (await t.gql(`{ adminDomains(${args}) { totalCount nodes { name } } }`, {}, { token: admin })).body.data.adminDomains;
      expect(await list(`accountId: "${await accountOf(a)}"`)).toEqual({ totalCount: 1, nodes: [{ name: a.name }] });
      expect(await list(`name: "FILTER-"`)).toEqual({ totalCount: 2, nodes: [{ name: b.name }, { name: a.name }] });
      expect(await list(`name: "filter-", status: VERIFIED`)).toEqual({ totalCount: 1, nodes: [{ name: b.name }] });
      expect(await list(`name: "filter_"`)).toEqual({ totalCount: 0, nodes: [] });
      // Found through the name's three-letter pieces, anywhere in the name; shorter texts by a scan.
      expect(await list(`name: "r-tw"`)).toEqual({ totalCount: 1, nodes: [{ name: b.name }] });
      expect(await list(`name: "ne.example.c"`)).toEqual({ totalCount: 1, nodes: [{ name: a.name }] });
      expect(await list(`name: "o."`)).toEqual({ totalCount: 1, nodes: [{ name: b.name }] });
      expect(await list(`name: "example.org"`)).toEqual({ totalCount: 0, nodes: [] });
      const pieces = () => t.app.dataSource.query("SELECT COUNT(*) AS n FROM domain_name_grams WHERE domainId IN (?, ?)", [fromGlobalId(a.id), fromGlobalId(b.id)]);
      expect(Number((await pieces())[0].n)).toBeGreaterThan(0);
      // Out of the way of the re-verification test's ordering.
      for (const c of [a, b]) await t.gql(`mutation($id: ID!) { removeDomain(input: { id: $id }) { removedDomainId } }`, { id: c.id }, { token: c.token });
      expect(await list(`name: "filter-"`)).toEqual({ totalCount: 0, nodes: [] });
      expect(Number((await pieces())[0].n)).toBe(0);
    });

    it("refuses a limit outside 1..10000", async () => {
      for (const limit of [0, -1, 10_001]) {
        const result = await t.gql(REVERIFY, { limit }, { token: admin });
        expect(result.body.errors).toEqual([expect.objectContaining({ extensions: { code: "BAD_USER_INPUT", argument: "input.limit" } })]);
      }
    });

    it("re-checks verified domains now, least recently checked first, and answers the contract's counts", async () => {
      const [missing, outage, present] = [await claim("missing.example.com"), await claim("outage.example.com"), await claim("present.example.com")];
      for (const c of [missing, outage, present]) {
        verifier.publish(c.name, [c.dnsToken]);
        expect((await verify(c)).verified).toBe(true);
        clock.advance(HOUR);
      }
      const pending = await claim("pending.example.com");
      verifier.answer(missing.name, "RECORD_NOT_FOUND");
      verifier.answer(outage.name, "DNS_ERROR");
      const requestsBefore = verifier.requests.length;

      const firstTwo = await t.gql(REVERIFY, { limit: 2 }, { token: admin, headers: { "x-request-id": "reverify-run-1" } });
      expect(firstTwo.body.data.reverifyDomains).toEqual({ checked: 2, stillVerified: 0, inGracePeriod: 1, revoked: 0, dnsErrors: 1 });
      expect(verifier.requests.slice(requestsBefore).map((r) => r.name).sort()).toEqual([missing.name, outage.name]);
      expect(await read(missing)).toMatchObject({ status: "VERIFIED", failingSince: clock.now().toISOString() });
      expect((await audit(missing))[0]).toMatchObject({
        action: "VERIFICATION_FAILED",
        actor: { type: "ADMIN", id: "ops-admin" },
        requestId: "reverify-run-1",
        previousStatus: "VERIFIED",
        newStatus: "VERIFIED",
      });

      clock.advance(HOUR);
      const all = await t.gql(REVERIFY, {}, { token: admin });
      expect(all.body.data.reverifyDomains).toEqual({ checked: 3, stillVerified: 1, inGracePeriod: 1, revoked: 0, dnsErrors: 1 });
      expect(verifier.requests.slice(requestsBefore + 2).map((r) => r.name)[0]).toBe(present.name);
      expect((await read(pending)).lastCheckedAt).toBeNull();

      clock.advance(72 * HOUR);
      const legacy = await t.gql(REVERIFY, { limit: 10 }, { token: "cron-secret-for-admin-tests" });
      expect(legacy.body.data.reverifyDomains).toEqual({ checked: 3, stillVerified: 1, inGracePeriod: 0, revoked: 1, dnsErrors: 1 });
      expect(await read(missing)).toMatchObject({ status: "REVOKED" });
      expect(await read(outage)).toMatchObject({ status: "VERIFIED", failingSince: null });
      expect((await audit(missing))[0]).toMatchObject({ action: "DOMAIN_REVOKED", actor: { type: "ADMIN", id: "admin-secret" } });
    });
  });

  describe("cleanupDomains", () => {
    beforeAll(async () => {
      clock.set("2026-11-22T10:00:00.000Z");
      await start();
    });
    afterAll(async () => t?.close());

    it("expires stale claims and deletes EXPIRED and REVOKED claims older than CLEANUP_AFTER_DAYS, keeping their audit entries", async () => {
      const longExpired = await claim("long-expired.example.com");
      const revokedLongAgo = await claim("revoked.example.com");
      verifier.publish(revokedLongAgo.name, [revokedLongAgo.dnsToken]);
      await verify(revokedLongAgo);
      verifier.answer(revokedLongAgo.name, "RECORD_NOT_FOUND");
      await verify(revokedLongAgo);
      clock.advance(72 * HOUR);
      expect((await verify(revokedLongAgo)).domain.status).toBe("REVOKED");
      const verified = await claim("kept-verified.example.com");
      verifier.publish(verified.name, [verified.dnsToken]);
      await verify(verified);

      clock.advance(37 * DAY);
      const recentlyExpired = await claim("recently-expired.example.com");
      const expiredToo = await claim("expired-too.example.com");
      clock.advance(30 * DAY);
      const stillPending = await claim("still-pending.example.com");
      clock.advance(HOUR);

      const run = await t.gql(CLEANUP, {}, { token: admin, headers: { "x-request-id": "cleanup-run-1" } });
      expect(run.body.data.cleanupDomains).toEqual({ expired: 3, deleted: 2 });

      expect(await read(longExpired)).toBeNull();
      expect(await read(revokedLongAgo)).toBeNull();
      expect(await read(recentlyExpired)).toMatchObject({ status: "EXPIRED" });
      expect(await read(expiredToo)).toMatchObject({ status: "EXPIRED" });
      expect(await read(stillPending)).toMatchObject({ status: "PENDING" });
      expect(await read(verified)).toMatchObject({ status: "VERIFIED" });

      const history = await audit(longExpired);
      expect(history.map((e: any) => [e.action, e.actor.type, e.domain, e.domainName])).toEqual([
        ["DOMAIN_REMOVED", "ADMIN", null, "long-expired.example.com"],
        ["DOMAIN_EXPIRED", "ADMIN", null, "long-expired.example.com"],
        ["DOMAIN_CLAIMED", "USER", null, "long-expired.example.com"],
      ]);
      expect(history[0]).toMatchObject({ previousStatus: "EXPIRED", newStatus: null, requestId: "cleanup-run-1", actor: { id: "ops-admin" } });
      expect((await audit(revokedLongAgo)).map((e: any) => e.action)).toContain("DOMAIN_REVOKED");
      expect((await audit(recentlyExpired))[0]).toMatchObject({ action: "DOMAIN_EXPIRED", previousStatus: "PENDING", newStatus: "EXPIRED" });

      expect((await t.gql(CLEANUP, {}, { token: admin })).body.data.cleanupDomains).toEqual({ expired: 0, deleted: 0 });
    });
  });
});
