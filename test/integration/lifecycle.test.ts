import { type Clock, ManualClock } from "../../src/shared/clock";
import type { DomainVerifier } from "../../src/verification/types";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { DOMAIN_FIELDS, TestApp, startTestApp } from "../support/test-app";

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { created domain { ${DOMAIN_FIELDS} } userErrors { field message code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified domain { id status tokenExpiresAt verifiedAt } check { outcome method message foundValues hints checkedAt } userErrors { code message field } } }`;
const REGENERATE = `mutation($id: ID!) { regenerateToken(input: { id: $id }) { domain { id status tokenExpiresAt txtRecord { value } } userErrors { code message } } }`;
const REMOVE = `mutation($id: ID!) { removeDomain(input: { id: $id }) { removedDomainId userErrors { code message field } } }`;
const AUDIT = `query($first: Int, $after: String, $domainId: ID, $action: AuditAction) {
  auditLog(first: $first, after: $after, domainId: $domainId, action: $action) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id action domainName message previousStatus newStatus requestId createdAt actor { type id email } domain { id name } check { outcome } }
  }
}`;

const START = "2026-11-22T10:00:00.000Z";

describe.each(DATABASE_FLAVORS)("domain lifecycle on %s", (db) => {
  let t: TestApp;
  // Each test gets a clock and a scripted verifier of its own, so none depends on how far another
  // moved the clock or what it scripted; one app (and its migrations) still serves them all.
  let clock = new ManualClock(START);
  let verifier = new ScriptedVerifier(clock);
  const currentClock: Clock = { now: () => clock.now() };
  const currentVerifier: DomainVerifier = { verify: (request) => verifier.verify(request) };
  let seq = 0;
  /** A fresh account per test, so tests never see each other's domains. */
  const account = async (claims: Record<string, string> = {}) => t.token(`user-${db}-${++seq}`, claims);
  const claim = async (token: string, name: string) => (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;

  beforeAll(async () => {
    t = await startTestApp({ db, overrides: { clock: currentClock, verifier: currentVerifier }, env: { ADMIN_USER_IDS: "root-admin" } });
  });
  beforeEach(() => {
    clock = new ManualClock(START);
    verifier = new ScriptedVerifier(clock);
  });
  afterAll(async () => t?.close());

  it("claims a name, normalized, with its records and instructions", async () => {
    const token = await account();
    const result = await claim(token, "  API.Example.COM. ");
    expect(result.userErrors).toEqual([]);
    expect(result.created).toBe(true);
    const domain = result.domain;
    expect(domain).toMatchObject({ name: "api.example.com", unicodeName: "api.example.com", status: "PENDING", verified: false, verifiedAt: null, lastCheck: null });
    const tokenValue = domain.txtRecord.value.replace("dnsproof-verification=", "");
    expect(tokenValue).toMatch(/^[0-9a-f]{64}$/);
    expect(domain.txtRecord).toEqual({ type: "TXT", host: "_dnsproof-verify.api.example.com", relativeHost: "_dnsproof-verify.api", value: `dnsproof-verification=${tokenValue}` });
    expect(domain.cnameRecord).toEqual({ type: "CNAME", host: "_dnsproof-verify.api.example.com", relativeHost: "_dnsproof-verify.api", value: `${tokenValue.slice(0, 32)}.${tokenValue.slice(32)}.verify.dnsproof.dev` });
    expect(domain.instructions).not.toContain(`${tokenValue}.verify.dnsproof.dev`);
    expect(domain.instructions).toContain("_dnsproof-verify.api.example.com");
    expect(domain.instructions).toContain(`dnsproof-verification=${tokenValue}`);
    expect(domain.instructions).toContain(`${tokenValue.slice(0, 32)}.${tokenValue.slice(32)}.verify.dnsproof.dev`);
    expect(new Date(domain.tokenExpiresAt).getTime() - clock.now().getTime()).toBe(30 * 24 * 3600 * 1000);
    expect(domain.createdAt).toBe(clock.now().toISOString());
  });

  it("stores Unicode names as punycode and shows them decoded", async () => {
    const result = await claim(await account(), "Bücher.de");
    expect(result.domain).toMatchObject({ name: "xn--bcher-kva.de", unicodeName: "bücher.de" });
  });

  it.each([
    ["", "INVALID_DOMAIN"],
    ["localhost", "INVALID_DOMAIN"],
    ["10.0.0.1", "INVALID_DOMAIN"],
    ["*.example.com", "INVALID_DOMAIN"],
    ["co.uk", "PUBLIC_SUFFIX"],
    ["github.io", "PUBLIC_SUFFIX"],
  ])("refuses %j as %s with the input field named", async (name, code) => {
    const result = await claim(await account(), name);
    expect(result.domain).toBeNull();
    expect(result.created).toBe(false);
    expect(result.userErrors).toEqual([{ code, field: ["input", "name"], message: expect.any(String) }]);
  });

  it("accepts a name under a private public suffix", async () => {
    expect((await claim(await account(), "alice.github.io")).domain.name).toBe("alice.github.io");
  });

  it("returns the existing claim with created: false when claimed again", async () => {
    const token = await account();
    const first = await claim(token, "again.example.com");
    const second = await claim(token, "AGAIN.example.com.");
    expect(second).toMatchObject({ created: false, userErrors: [] });
    expect(second.domain.id).toBe(first.domain.id);
    expect(second.domain.txtRecord.value).toBe(first.domain.txtRecord.value);
  });

  it("lets different accounts hold pending claims on one name, each with its own token", async () => {
    const a = await claim(await account(), "shared.example.com");
    const b = await claim(await account(), "shared.example.com");
    expect(a.created && b.created).toBe(true);
    expect(a.domain.id).not.toBe(b.domain.id);
    expect(a.domain.txtRecord.value).not.toBe(b.domain.txtRecord.value);
  });

  it("enforces the per-account limit, but still returns existing claims", async () => {
    const token = await account();
    for (let i = 0; i < 5; i++) expect((await claim(token, `limit${i}.example.com`)).created).toBe(true);
    const over = await claim(token, "limit5.example.com");
    expect(over.userErrors).toEqual([{ code: "DOMAIN_LIMIT_REACHED", field: ["input", "name"], message: expect.stringContaining("5 of 5") }]);
    expect((await claim(token, "limit0.example.com")).created).toBe(false);
    const viewer = await t.gql(`{ viewer { accountId userId email isAdmin domainCount domainLimit } }`, {}, { token });
    expect(viewer.body.data.viewer).toMatchObject({ domainCount: 5, domainLimit: 5, isAdmin: false });
  });

  it("verifies: PENDING → FAILED on a miss, FAILED → VERIFIED when found, every attempt audited with its check", async () => {
    const token = await account({ email: "owner@example.com" });
    const { domain } = await claim(token, "verify-me.example.com");
    verifier.answer("verify-me.example.com", "RECORD_NOT_FOUND");
    const miss = (await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain;
    expect(miss).toMatchObject({ verified: false, domain: { status: "FAILED" }, check: { outcome: "RECORD_NOT_FOUND" }, userErrors: [] });

    verifier.answer("verify-me.example.com", "DNS_ERROR");
    const dnsError = (await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain;
    expect(dnsError).toMatchObject({ verified: false, domain: { status: "FAILED" }, check: { outcome: "DNS_ERROR" } });

    verifier.publish("verify-me.example.com", [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    clock.advance(1000);
    const hit = (await t.gql(VERIFY, { id: domain.id }, { token, headers: { "x-request-id": "req-verify-1" } })).body.data.verifyDomain;
    expect(hit).toMatchObject({ verified: true, domain: { status: "VERIFIED", tokenExpiresAt: null, verifiedAt: clock.now().toISOString() }, check: { outcome: "VERIFIED", method: "TXT" } });

    const log = (await t.gql(AUDIT, { domainId: domain.id }, { token })).body.data.auditLog;
    expect(log.nodes.map((n: any) => n.action)).toEqual(["VERIFICATION_SUCCEEDED", "VERIFICATION_INCONCLUSIVE", "VERIFICATION_FAILED", "DOMAIN_CLAIMED"]);
    expect(log.nodes[0]).toMatchObject({
      previousStatus: "FAILED",
      newStatus: "VERIFIED",
      requestId: "req-verify-1",
      actor: { type: "USER", id: expect.stringMatching(/^user-/), email: "owner@example.com" },
      check: { outcome: "VERIFIED" },
      domain: { id: domain.id },
    });
    expect(log.nodes[1]).toMatchObject({ previousStatus: "FAILED", newStatus: "FAILED", check: { outcome: "DNS_ERROR" } });
    expect(log.nodes[2]).toMatchObject({ previousStatus: "PENDING", newStatus: "FAILED", check: { outcome: "RECORD_NOT_FOUND" } });
    expect(log.nodes[3]).toMatchObject({ newStatus: "PENDING", check: null });
  });

  it("reads an unverified claim as EXPIRED once its token ran out, refuses to verify it, and regenerating starts over", async () => {
    const token = await account();
    const { domain } = await claim(token, "expiring.example.com");
    clock.advance(30 * 24 * 3600 * 1000 + 1);
    const read = await t.gql(`query($id: ID!) { domain(id: $id) { status tokenExpiresAt } }`, { id: domain.id }, { token });
    expect(read.body.data.domain.status).toBe("EXPIRED");
    const listed = await t.gql(`{ expired: domains(status: EXPIRED) { nodes { id } } pending: domains(status: PENDING) { nodes { id } } }`, {}, { token });
    expect(listed.body.data.expired.nodes).toEqual([{ id: domain.id }]);
    expect(listed.body.data.pending.nodes).toEqual([]);

    const attempt = (await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain;
    expect(attempt).toMatchObject({ verified: false, domain: { status: "EXPIRED" }, check: { outcome: "TOKEN_EXPIRED", message: expect.stringMatching(/regenerate/i) } });
    const requestsBefore = verifier.requests.length;
    await t.gql(VERIFY, { id: domain.id }, { token });
    expect(verifier.requests.length).toBe(requestsBefore);

    const expiredLog = (await t.gql(AUDIT, { domainId: domain.id, action: "DOMAIN_EXPIRED" }, { token })).body.data.auditLog;
    expect(expiredLog.nodes).toEqual([expect.objectContaining({ actor: { type: "SYSTEM", id: null, email: null }, previousStatus: "PENDING", newStatus: "EXPIRED" })]);

    const regenerated = (await t.gql(REGENERATE, { id: domain.id }, { token })).body.data.regenerateToken;
    expect(regenerated.domain.status).toBe("PENDING");
    expect(regenerated.domain.txtRecord.value).not.toBe(domain.txtRecord.value);
    expect(new Date(regenerated.domain.tokenExpiresAt).getTime()).toBe(clock.now().getTime() + 30 * 24 * 3600 * 1000);
  });

  it("keeps a verified claim verified when its token is regenerated, and hints with the previous token", async () => {
    const token = await account();
    const { domain } = await claim(token, "regen-verified.example.com");
    const firstToken = domain.txtRecord.value.replace("dnsproof-verification=", "");
    verifier.publish("regen-verified.example.com", [firstToken]);
    await t.gql(VERIFY, { id: domain.id }, { token });
    const regenerated = (await t.gql(REGENERATE, { id: domain.id }, { token })).body.data.regenerateToken;
    expect(regenerated.domain).toMatchObject({ status: "VERIFIED", tokenExpiresAt: null });
    await t.gql(VERIFY, { id: domain.id }, { token });
    expect(verifier.requests[verifier.requests.length - 1]).toMatchObject({ name: "regen-verified.example.com", previousTokens: [firstToken] });
  });

  it("does not verify with a token regenerated while DNS was being asked, and checks the new one instead", async () => {
    const token = await account();
    const { domain } = await claim(token, "regen-race.example.com");
    const oldToken = domain.txtRecord.value.replace("dnsproof-verification=", "");
    verifier.publish("regen-race.example.com", [oldToken]);
    verifier.duringNextLookup = async () => {
      expect((await t.gql(REGENERATE, { id: domain.id }, { token })).body.data.regenerateToken.userErrors).toEqual([]);
    };
    const result = (await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain;
    expect(result).toMatchObject({ verified: false, domain: { status: "FAILED" }, check: { outcome: "VALUE_MISMATCH" } });
    const [first, second] = verifier.requests.slice(-2);
    expect(first.token).toBe(oldToken);
    expect(second).toMatchObject({ previousTokens: [oldToken] });
    expect(second.token).not.toBe(oldToken);
  });

  it("removes a claim and keeps its audit entries with domain: null and the name", async () => {
    const token = await account();
    const { domain } = await claim(token, "remove-me.example.com");
    const removed = (await t.gql(REMOVE, { id: domain.id }, { token })).body.data.removeDomain;
    expect(removed).toEqual({ removedDomainId: domain.id, userErrors: [] });
    expect((await t.gql(`query($id: ID!) { domain(id: $id) { id } }`, { id: domain.id }, { token })).body.data.domain).toBeNull();
    const log = (await t.gql(AUDIT, { domainId: domain.id }, { token })).body.data.auditLog;
    expect(log.nodes.map((n: any) => [n.action, n.domain, n.domainName])).toEqual([
      ["DOMAIN_REMOVED", null, "remove-me.example.com"],
      ["DOMAIN_CLAIMED", null, "remove-me.example.com"],
    ]);
    const again = (await t.gql(REMOVE, { id: domain.id }, { token })).body.data.removeDomain;
    expect(again.userErrors).toEqual([{ code: "NOT_FOUND", message: expect.any(String), field: ["input", "id"] }]);
  });

  it("treats another account's ids exactly like missing ones", async () => {
    const owner = await account();
    const stranger = await account();
    const { domain } = await claim(owner, "mine.example.com");
    const missing = Buffer.from("Domain:00000000-0000-7000-8000-000000000000").toString("base64url");
    for (const id of [domain.id, missing]) {
      const read = await t.gql(`query($id: ID!) { domain(id: $id) { id } node(id: $id) { id } }`, { id }, { token: stranger });
      expect(read.body).toEqual({ data: { domain: null, node: null } });
      for (const mutation of [VERIFY, REGENERATE, REMOVE]) {
        const result = await t.gql(mutation, { id }, { token: stranger });
        const payload = Object.values(result.body.data)[0] as any;
        expect(payload.userErrors).toEqual([expect.objectContaining({ code: "NOT_FOUND", message: "No such domain in your account." })]);
      }
      const log = await t.gql(AUDIT, { domainId: id }, { token: stranger });
      expect(log.body.data.auditLog).toMatchObject({ totalCount: 0, nodes: [] });
    }
    const still = await t.gql(`query($id: ID!) { domain(id: $id) { status } }`, { id: domain.id }, { token: owner });
    expect(still.body.data.domain.status).toBe("PENDING");
  });

  it("answers BAD_USER_INPUT for malformed ids and cursors and first outside 1..100", async () => {
    const token = await account();
    const cases = [
      [`{ domain(id: "nope") { id } }`, "id"],
      [`{ domains(first: 0) { totalCount } }`, "first"],
      [`{ domains(first: 101) { totalCount } }`, "first"],
      [`{ domains(after: "garbage") { totalCount } }`, "after"],
      [`{ auditLog(first: 500) { totalCount } }`, "first"],
    ];
    for (const [query, argument] of cases) {
      const result = await t.gql(query, {}, { token });
      expect(result.body.errors).toEqual([expect.objectContaining({ extensions: { code: "BAD_USER_INPUT", argument } })]);
    }
  });

  it("pages domains newest first with stable cursors and totalCount", async () => {
    const token = await account();
    const names = ["p1", "p2", "p3", "p4", "p5"].map((p) => `${p}.example.com`);
    for (const name of names) await claim(token, name); // one clock instant: ties are broken by id
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await t.gql(`query($after: String) { domains(first: 2, after: $after) { totalCount edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor } } }`, { after }, { token })).body.data.domains;
      expect(page.totalCount).toBe(5);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...page.edges.map((e: any) => e.node.name));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual([...names].reverse());
  });

  it("answers admin fields to admins only, with every account's domains", async () => {
    const token = await account();
    await claim(token, "admin-visible.example.com");
    const denied = await t.gql(`{ adminDomains { totalCount } }`, {}, { token });
    expect(denied.body.errors).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);
    const admin = await t.token("root-admin");
    const found = await t.gql(`{ viewer { isAdmin } adminDomains(name: "ADMIN-VISIBLE", status: PENDING) { totalCount nodes { name } } }`, {}, { token: admin });
    expect(found.body.data).toEqual({ viewer: { isAdmin: true }, adminDomains: { totalCount: 1, nodes: [{ name: "admin-visible.example.com" }] } });
  });
});
