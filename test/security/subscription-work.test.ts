import { AuditAction, SYSTEM_ACTOR } from "../../src/audit/audit.types";
import type { Domain } from "../../src/domains/domain.entity";
import { queryTooComplex, tooManyAliases } from "../../src/graphql/errors";
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";
import { connectSubscriber } from "../support/subscriptions";

/**
 * The work one subscription makes the server do: each event runs the whole selection, so the
 * limits of a request apply at subscribe time; an event's selection shares one set of loaders;
 * a replay is bounded per subscribe; and a stream stops when its client goes, even mid-replay.
 */
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id } } }`;
const EVENTS = `query($first: Int) { events(first: $first) { nodes { id cursor } } }`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const localId = (globalId: string) => Buffer.from(globalId, "base64url").toString().split(":")[1];

/** auditLog(first: 100) nested three times: about a million rows' worth per event. */
const NESTED = `subscription { auditEntryAdded { id domain { auditLog(first: 100) { nodes { domain { auditLog(first: 100) { nodes { domain { auditLog(first: 100) { nodes { id } } } } } } } } } } }`;

describe.each(DATABASE_FLAVORS)("subscription work on %s", (db) => {
  let t: TestApp;
  let seq = 0;
  beforeAll(async () => {
    t = await startTestApp({ db, env: { SUBSCRIPTIONS_MAX_REPLAY: "10", MAX_DOMAINS_PER_ACCOUNT: "100", WEBHOOK_WORKER_ENABLED: "false" } });
  });
  afterAll(async () => t?.close());
  afterEach(() => jest.restoreAllMocks());

  const account = async () => {
    const sub = `work-${db}-${++seq}`;
    const token = await t.token(sub);
    const id = (await t.gql(CLAIM, { name: `work-${db}-${seq}.example.com` }, { token })).body.data.claimDomain.domain.id as string;
    const domain = (await t.app.dataSource.getRepository("Domain").findOneByOrFail({ id: localId(id) })) as Domain;
    return { sub, token, domain };
  };
  /** Entries written straight to the log, in one transaction: what a busy account accumulates. */
  const write = (domain: Domain, count: number) =>
    t.app.db.transaction(async (manager) => {
      for (let i = 0; i < count; i++) {
        await t.app.audit.record(manager, { accountId: domain.accountId, domain, action: AuditAction.TOKEN_REGENERATED, actor: SYSTEM_ACTOR, message: `entry ${i}` });
      }
    });
  const firstError = async (token: string, query: string) => {
    const connection = connectSubscriber(t.url, `Bearer ${token}`);
    const subscriber = connection.subscribe(query);
    for (let i = 0; i < 100 && subscriber.errors.length === 0; i++) await pause(50);
    await connection.client.dispose();
    return (subscriber.errors[0] as any)?.[0] ?? subscriber.errors[0];
  };

  it("refuses at subscribe time what a request is refused, with the same code and message", async () => {
    const { token } = await account();
    const tooCostly = await firstError(token, NESTED);
    expect(tooCostly.extensions.code).toBe("QUERY_TOO_COMPLEX");
    expect(tooCostly.message).toBe(queryTooComplex(tooCostly.extensions.complexity, 250_000).message);
    expect(tooCostly.extensions.complexity).toBeGreaterThan(250_000);

    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(" ");
    const tooManyNames = await firstError(token, `subscription { auditEntryAdded { ${aliases} } }`);
    expect(tooManyNames).toMatchObject({ message: tooManyAliases(31, 30).message, extensions: { code: "TOO_MANY_ALIASES" } });

    // Four domains deep: 14 fields, past GRAPHQL_MAX_DEPTH (12), and cheap, so only depth refuses it.
    const deep = `subscription { auditEntryAdded { ${"domain { auditLog(first: 1) { nodes { ".repeat(4)}id${" } } }".repeat(4)} } }`;
    expect((await firstError(token, deep)).extensions.code).toBe("QUERY_TOO_DEEP");
  });

  it("loads an event's domain once for its whole selection", async () => {
    const { token, domain } = await account();
    const connection = connectSubscriber(t.url, `Bearer ${token}`);
    const subscriber = connection.subscribe(`subscription { auditEntryAdded { id a: domain { id } b: domain { name } c: domain { status } } }`);
    await pause(300);
    const lookups = jest.spyOn(t.app.domains, "findByIds");
    await write(domain, 3);
    await subscriber.waitFor((r) => r.length >= 3);
    expect(subscriber.received[0].auditEntryAdded.a.id).toBeTruthy();
    // One lookup per event, not one per field that reads the domain.
    expect(lookups.mock.calls.length).toBe(3);
    await connection.client.dispose();
  });

  it("replays at most SUBSCRIPTIONS_MAX_REPLAY entries per subscribe; the client resumes from the last cursor", async () => {
    const { token, domain } = await account();
    await write(domain, 24);
    const all = (await t.gql(EVENTS, { first: 100 }, { token })).body.data.events.nodes;
    expect(all).toHaveLength(25);
    const query = `subscription($after: String) { auditEntryAdded(after: $after) { id cursor } }`;
    const connection = connectSubscriber(t.url, `Bearer ${token}`);
    const first = connection.subscribe(query, { after: all[0].cursor });
    for (let i = 0; i < 100 && first.errors.length === 0; i++) await pause(50);
    expect(first.received.map((r) => r.auditEntryAdded.id)).toEqual(all.slice(1, 11).map((n: any) => n.id));
    expect(JSON.stringify(first.errors)).toContain("REPLAY_TOO_LONG");

    const again = connection.subscribe(query, { after: first.received[9].auditEntryAdded.cursor });
    await again.waitFor((r) => r.length >= 10);
    expect(again.received.map((r) => r.auditEntryAdded.id)).toEqual(all.slice(11, 21).map((n: any) => n.id));
    await connection.client.dispose();
  });
});

describe.each(DATABASE_FLAVORS)("a replay whose client leaves, on %s", (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ db, env: { SUBSCRIPTIONS_MAX_REPLAY: "100000", WEBHOOK_WORKER_ENABLED: "false" } });
  });
  afterAll(async () => t?.close());

  it("stops when the socket closes, and the server answers meanwhile", async () => {
    const token = await t.token(`leaver-${db}`);
    const id = (await t.gql(CLAIM, { name: `leaver-${db}.example.com` }, { token })).body.data.claimDomain.domain.id as string;
    const domain = (await t.app.dataSource.getRepository("Domain").findOneByOrFail({ id: localId(id) })) as Domain;
    await t.app.db.transaction(async (manager) => {
      for (let i = 0; i < 1500; i++) {
        await t.app.audit.record(manager, { accountId: domain.accountId, domain, action: AuditAction.TOKEN_REGENERATED, actor: SYSTEM_ACTOR, message: `entry ${i}` });
      }
    });
    const oldest = (await t.gql(EVENTS, { first: 1 }, { token })).body.data.events.nodes[0].cursor;
    const pages = jest.spyOn(t.app.audit, "listAfter");

    const connection = connectSubscriber(t.url, `Bearer ${token}`);
    const subscriber = connection.subscribe(`subscription($after: String) { auditEntryAdded(after: $after) { id message domain { auditLog(first: 50) { nodes { id message } } } } }`, {
      after: oldest,
    });
    await subscriber.waitFor((r) => r.length >= 5, 20_000);
    // A clean close: the client's close frame, then the server's.
    await connection.client.dispose();
    const left = Date.now();
    const health = await fetch(`${t.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBe(200);
    expect(Date.now() - left).toBeLessThan(2000);
    await pause(500);
    const readAfterLeaving = pages.mock.calls.length;
    await pause(1000);
    // The replay read its first page or two, not the 15 the whole log fills, and reads nothing more.
    expect(readAfterLeaving).toBeLessThanOrEqual(3);
    expect(pages.mock.calls.length).toBe(readAfterLeaving);
  });
});
