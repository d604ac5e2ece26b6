import { ManualClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";

/** The new audit entries (grace period, token expiry warnings, revocation reasons) and the events feed. */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id name nextCheckAt txtRecord { value } } userErrors { code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`;
const REGENERATE = `mutation($id: ID!) { regenerateToken(input: { id: $id }) { domain { id } userErrors { code } } }`;
const READ = `query($id: ID!) { domain(id: $id) { status nextCheckAt graceEndsAt } }`;
const EVENTS = `query($first: Int, $after: String, $domainId: ID, $action: AuditAction, $order: AuditOrder) {
  events(first: $first, after: $after, domainId: $domainId, action: $action, order: $order) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id cursor action domainName reason graceEndsAt previousStatus newStatus message actor { type id } } }
  }
}`;

describe.each(DATABASE_FLAVORS)("events on %s", (db) => {
  let t: TestApp;
  const clock = new ManualClock("2026-11-22T10:00:00.000Z");
  const verifier = new ScriptedVerifier(clock);
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp({ db, overrides: { clock, verifier }, env: { WEBHOOK_WORKER_ENABLED: "false" } });
  });
  afterAll(async () => t?.close());

  const account = async () => t.token(`events-${db}-${++seq}`);
  const claim = async (token: string, label: string) => {
    const name = `${label}-${++seq}.example.com`;
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    return { token, id: domain.id as string, name, dnsToken: domain.txtRecord.value.replace("dnsproof-verification=", "") };
  };
  const events = async (token: string, variables: Record<string, unknown> = {}) => {
    const result = await t.gql(EVENTS, variables, { token });
    expect(result.body.errors).toBeUndefined();
    return result.body.data.events;
  };
  const runAtNextCheck = async (c: { token: string; id: string }) => {
    const { nextCheckAt } = (await t.gql(READ, { id: c.id }, { token: c.token })).body.data.domain;
    clock.set(nextCheckAt);
    await t.app.scheduler.runOnce();
  };

  it("is the account's audit log oldest first, resumable from any cursor, filtered by domain and action", async () => {
    const token = await account();
    const a = await claim(token, "feed-a");
    clock.advance(1000);
    const b = await claim(token, "feed-b");
    clock.advance(1000);
    await t.gql(REGENERATE, { id: a.id }, { token });

    const all = await events(token);
    expect(all.totalCount).toBe(3);
    expect(all.edges.map((e: any) => [e.node.action, e.node.domainName])).toEqual([
      ["DOMAIN_CLAIMED", a.name],
      ["DOMAIN_CLAIMED", b.name],
      ["TOKEN_REGENERATED", a.name],
    ]);
    expect(all.edges.map((e: any) => e.cursor)).toEqual(all.edges.map((e: any) => e.node.cursor));

    const first = await events(token, { first: 1 });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = await events(token, { after: first.pageInfo.endCursor });
    expect(rest.edges.map((e: any) => e.node.action)).toEqual(["DOMAIN_CLAIMED", "TOKEN_REGENERATED"]);

    // A client that stored endCursor sees exactly what was written since.
    const stored = all.pageInfo.endCursor;
    expect((await events(token, { after: stored })).edges).toEqual([]);
    clock.advance(1000);
    await t.gql(REGENERATE, { id: b.id }, { token });
    expect((await events(token, { after: stored })).edges.map((e: any) => [e.node.action, e.node.domainName])).toEqual([["TOKEN_REGENERATED", b.name]]);

    expect((await events(token, { order: "NEWEST_FIRST", first: 1 })).edges[0].node).toMatchObject({ action: "TOKEN_REGENERATED", domainName: b.name });
    expect((await events(token, { domainId: a.id })).edges.map((e: any) => e.node.action)).toEqual(["DOMAIN_CLAIMED", "TOKEN_REGENERATED"]);
    expect((await events(token, { action: "TOKEN_REGENERATED" })).edges.map((e: any) => e.node.domainName)).toEqual([a.name, b.name]);
  });

  it("shows another account nothing", async () => {
    const owner = await account();
    const c = await claim(owner, "private");
    const stranger = await account();
    expect((await events(stranger)).edges).toEqual([]);
    expect((await events(stranger, { domainId: c.id })).edges).toEqual([]);
    expect((await events(owner)).totalCount).toBe(1);
  });

  it("writes GRACE_PERIOD_STARTED with graceEndsAt once, carries graceEndsAt on failing re-checks, and revokes with reason GRACE_PERIOD_ENDED", async () => {
    const token = await account();
    const c = await claim(token, "grace");
    verifier.publish(c.name, [c.dnsToken]);
    expect((await t.gql(VERIFY, { id: c.id }, { token })).body.data.verifyDomain.verified).toBe(true);

    verifier.answer(c.name, "RECORD_NOT_FOUND");
    await runAtNextCheck(c);
    const graceEndsAt = new Date(clock.now().getTime() + 72 * HOUR).toISOString();
    await runAtNextCheck(c);
    for (let i = 0; i < 10 && (await t.gql(READ, { id: c.id }, { token })).body.data.domain.status === "VERIFIED"; i++) await runAtNextCheck(c);

    const nodes = (await events(token, { domainId: c.id, first: 100 })).edges.map((e: any) => e.node);
    const started = nodes.filter((n: any) => n.action === "GRACE_PERIOD_STARTED");
    expect(started).toEqual([
      expect.objectContaining({ graceEndsAt, previousStatus: "VERIFIED", newStatus: "VERIFIED", actor: { type: "SYSTEM", id: null }, reason: null }),
    ]);
    const failedDuringGrace = nodes.filter((n: any) => n.action === "VERIFICATION_FAILED" && n.newStatus === "VERIFIED");
    expect(failedDuringGrace.length).toBeGreaterThanOrEqual(2);
    for (const n of failedDuringGrace) expect(n.graceEndsAt).toBe(graceEndsAt);
    expect(nodes[nodes.length - 1]).toMatchObject({ action: "DOMAIN_REVOKED", reason: "GRACE_PERIOD_ENDED", newStatus: "REVOKED" });
  });

  it("revokes with reason PROVEN_BY_ANOTHER_ACCOUNT and never names the new holder to the losing account", async () => {
    const loser = await account();
    const c = await claim(loser, "taken");
    verifier.publish(c.name, [c.dnsToken]);
    await t.gql(VERIFY, { id: c.id }, { token: loser });

    const winnerSub = `events-${db}-winner-${++seq}`;
    const winner = await t.token(winnerSub, { email: "winner@example.com" });
    const { domain } = (await t.gql(CLAIM, { name: c.name }, { token: winner })).body.data.claimDomain;
    verifier.publish(c.name, [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    expect((await t.gql(VERIFY, { id: domain.id }, { token: winner })).body.data.verifyDomain.verified).toBe(true);

    const feed = await events(loser, { first: 100 });
    const revoked = feed.edges.map((e: any) => e.node).find((n: any) => n.action === "DOMAIN_REVOKED");
    expect(revoked).toMatchObject({ reason: "PROVEN_BY_ANOTHER_ACCOUNT", actor: { type: "SYSTEM", id: null }, newStatus: "REVOKED" });
    expect(JSON.stringify(feed)).not.toContain(winnerSub);
    expect(JSON.stringify(feed)).not.toContain("winner@example.com");
  });

  it("writes TOKEN_EXPIRING_SOON once per token, TOKEN_EXPIRY_WARNING_HOURS before it runs out, and again for a new token", async () => {
    const token = await account();
    const c = await claim(token, "expiring");
    await t.app.scheduler.runOnce();
    expect((await events(token, { action: "TOKEN_EXPIRING_SOON" })).totalCount).toBe(0);

    clock.advance(30 * DAY - 72 * HOUR - 1000);
    await t.app.scheduler.runOnce();
    expect((await events(token, { action: "TOKEN_EXPIRING_SOON" })).totalCount).toBe(0);

    clock.advance(2000);
    await t.app.scheduler.runOnce();
    await t.app.scheduler.runOnce();
    clock.advance(HOUR);
    await t.app.scheduler.runOnce();
    const warned = (await events(token, { action: "TOKEN_EXPIRING_SOON" })).edges.map((e: any) => e.node);
    expect(warned).toEqual([expect.objectContaining({ domainName: c.name, actor: { type: "SYSTEM", id: null }, message: expect.stringContaining("runs out at") })]);

    await t.gql(REGENERATE, { id: c.id }, { token });
    clock.advance(30 * DAY - 24 * HOUR);
    await t.app.scheduler.runOnce();
    expect((await events(token, { action: "TOKEN_EXPIRING_SOON" })).totalCount).toBe(2);
  });
});
