import { ManualClock } from "../../src/shared/clock";
import { Domain } from "../../src/domains/domain.entity";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { created domain { id txtRecord { value } } userErrors { code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified domain { status } check { outcome } userErrors { code } } }`;
const tokenOf = (claim: any) => claim.domain.txtRecord.value.replace("dnsproof-verification=", "");

describe.each(DATABASE_FLAVORS)("concurrent requests on %s", (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  const verifier = new ScriptedVerifier(clock);
  beforeAll(async () => {
    t = await startTestApp({ db, overrides: { clock, verifier } });
  });
  afterAll(async () => t?.close());

  it("parallel claims of one name by one account make one claim", async () => {
    const token = await t.token("parallel-same");
    const results = await Promise.all(Array.from({ length: 12 }, () => t.gql(CLAIM, { name: "race.example.com" }, { token })));
    const payloads = results.map((r) => r.body.data.claimDomain);
    expect(payloads.filter((p) => p.created)).toHaveLength(1);
    expect(new Set(payloads.map((p) => p.domain.id)).size).toBe(1);
    expect(await t.app.dataSource.manager.countBy(Domain, { accountId: "parallel-same", name: "race.example.com" })).toBe(1);
  });

  it("parallel claims past the limit stop exactly at the limit", async () => {
    const token = await t.token("parallel-limit");
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => t.gql(CLAIM, { name: `l${i}.example.com` }, { token })));
    expect(results.flatMap((r) => r.body.errors ?? [])).toEqual([]);
    const payloads = results.map((r) => r.body.data.claimDomain);
    expect(payloads.filter((p) => p.created)).toHaveLength(5);
    expect(payloads.filter((p) => p.userErrors[0]?.code === "DOMAIN_LIMIT_REACHED")).toHaveLength(35);
    expect(await t.app.dataSource.manager.countBy(Domain, { accountId: "parallel-limit" })).toBe(5);
  });

  it("two accounts verifying one name at once: exactly one wins while both records are published", async () => {
    const name = "contested.example.com";
    const [a, b] = [await t.token("contender-a"), await t.token("contender-b")];
    const claimA = (await t.gql(CLAIM, { name }, { token: a })).body.data.claimDomain;
    const claimB = (await t.gql(CLAIM, { name }, { token: b })).body.data.claimDomain;
    verifier.publish(name, [tokenOf(claimA), tokenOf(claimB)]);
    const [ra, rb] = await Promise.all([t.gql(VERIFY, { id: claimA.domain.id }, { token: a }), t.gql(VERIFY, { id: claimB.domain.id }, { token: b })]);
    const outcomes = [ra.body.data.verifyDomain.check.outcome, rb.body.data.verifyDomain.check.outcome].sort();
    expect(outcomes).toEqual(["VERIFIED", "VERIFIED_BY_ANOTHER_ACCOUNT"]);
    expect(await t.app.dataSource.manager.countBy(Domain, { name, status: "VERIFIED" as any })).toBe(1);
  });

  it("moves ownership when the holder's record is gone: holder REVOKED, newcomer VERIFIED, both audited", async () => {
    const name = "handover.example.com";
    const [a, b] = [await t.token("holder-a"), await t.token("newcomer-b")];
    const claimA = (await t.gql(CLAIM, { name }, { token: a })).body.data.claimDomain;
    const claimB = (await t.gql(CLAIM, { name }, { token: b })).body.data.claimDomain;
    verifier.publish(name, [tokenOf(claimA)]);
    expect((await t.gql(VERIFY, { id: claimA.domain.id }, { token: a })).body.data.verifyDomain.verified).toBe(true);

    verifier.publish(name, [tokenOf(claimA), tokenOf(claimB)]);
    expect((await t.gql(VERIFY, { id: claimB.domain.id }, { token: b })).body.data.verifyDomain).toMatchObject({ verified: false, domain: { status: "FAILED" }, check: { outcome: "VERIFIED_BY_ANOTHER_ACCOUNT" } });

    verifier.publish(name, [tokenOf(claimB)]);
    expect((await t.gql(VERIFY, { id: claimB.domain.id }, { token: b })).body.data.verifyDomain).toMatchObject({ verified: true, check: { outcome: "VERIFIED" } });
    const holder = await t.gql(`query($id: ID!) { domain(id: $id) { status tokenExpiresAt auditLog(first: 1) { nodes { action actor { type id } previousStatus newStatus } } } }`, { id: claimA.domain.id }, { token: a });
    expect(holder.body.data.domain).toMatchObject({
      status: "REVOKED",
      tokenExpiresAt: expect.any(String),
      auditLog: { nodes: [{ action: "DOMAIN_REVOKED", actor: { type: "SYSTEM", id: null }, previousStatus: "VERIFIED", newStatus: "REVOKED" }] },
    });
  });

  it("the database itself refuses a second VERIFIED holder of a name", async () => {
    const manager = t.app.dataSource.manager;
    const base = { status: "VERIFIED" as any, token: "0".repeat(64), previousTokens: [], tokenIssuedAt: clock.now(), tokenExpiresAt: clock.now(), verifiedAt: clock.now(), lastCheckedAt: null, lastCheck: null, createdAt: clock.now(), updatedAt: clock.now(), name: "unique.example.com", nameReversed: "com.example.unique", verifiedName: "unique.example.com" };
    await manager.insert(Domain, { ...base, id: "00000000-0000-7000-8000-00000000a001", accountId: "db-a" });
    await expect(manager.insert(Domain, { ...base, id: "00000000-0000-7000-8000-00000000a002", accountId: "db-b" })).rejects.toThrow(/UNIQUE|Duplicate/i);
  });
});
