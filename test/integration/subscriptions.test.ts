import { randomBytes } from "node:crypto";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";
import { connectSubscriber } from "../support/subscriptions";

/** auditEntryAdded over graphql-ws: authentication, replay then live without gap or duplicate, scope, limits, expiry, several instances. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const SUBSCRIBE = `subscription($domainId: ID, $after: String) { auditEntryAdded(domainId: $domainId, after: $after) { id cursor action domainName } }`;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id } userErrors { code } } }`;
const REGENERATE = `mutation($id: ID!) { regenerateToken(input: { id: $id }) { userErrors { code } } }`;
const EVENTS = `query($after: String) { events(first: 100, after: $after) { nodes { id cursor action } } }`;

const ids = (received: any[]) => received.map((r) => r.auditEntryAdded.id);

describe.each(DATABASE_FLAVORS)("subscriptions on %s", (db) => {
  let t: TestApp;
  let seq = 0;
  beforeAll(async () => {
    t = await startTestApp({ db, env: { SUBSCRIPTIONS_PER_CONNECTION: "3", SUBSCRIPTIONS_PER_ACCOUNT: "4", MAX_DOMAINS_PER_ACCOUNT: "100", WEBHOOK_WORKER_ENABLED: "false" } });
  });
  afterAll(async () => t?.close());
  const account = async () => {
    const sub = `subs-${db}-${++seq}`;
    return { sub, token: await t.token(sub) };
  };
  const claim = async (token: string, label: string) => (await t.gql(CLAIM, { name: `${label}-${++seq}.example.com` }, { token })).body.data.claimDomain.domain.id as string;

  it("refuses anonymous connections and bad tokens", async () => {
    for (const authorization of [null, "Bearer not-a-token"]) {
      const connection = connectSubscriber(t.url, authorization);
      const { code } = await connection.closed;
      expect(code).toBe(4403);
    }
  });

  it("sends the caller's entries as they commit, and another account's never", async () => {
    const owner = await account();
    const stranger = await account();
    const mine = connectSubscriber(t.url, `Bearer ${owner.token}`);
    const theirs = connectSubscriber(t.url, `Bearer ${stranger.token}`);
    await Promise.all([mine.connected, theirs.connected]);
    const live = mine.subscribe(SUBSCRIBE);
    const spy = theirs.subscribe(SUBSCRIBE);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const id = await claim(owner.token, "live");
    await t.gql(REGENERATE, { id }, { token: owner.token });
    await live.waitFor((r) => r.length >= 2);
    expect(live.received.map((r) => r.auditEntryAdded.action)).toEqual(["DOMAIN_CLAIMED", "TOKEN_REGENERATED"]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(spy.received).toEqual([]);
    expect(live.received).toHaveLength(2);
    await mine.client.dispose();
    await theirs.client.dispose();
  });

  it("replays what came after a cursor, then goes live, with no gap and no duplicate while writes keep coming", async () => {
    const { token } = await account();
    const domainId = await claim(token, "replay");
    for (let i = 0; i < 5; i++) await t.gql(REGENERATE, { id: domainId }, { token });
    const before = (await t.gql(EVENTS, {}, { token })).body.data.events.nodes;
    const cursor = before[1].cursor;

    const connection = connectSubscriber(t.url, `Bearer ${token}`);
    await connection.connected;
    // Writes run while the subscription replays and switches to live.
    const writing = (async () => {
      for (let i = 0; i < 20; i++) await t.gql(REGENERATE, { id: domainId }, { token });
    })();
    const subscriber = connection.subscribe(SUBSCRIBE, { after: cursor });
    await writing;
    const all = (await t.gql(EVENTS, {}, { token })).body.data.events.nodes;
    expect(all).toHaveLength(26);
    await subscriber.waitFor((r) => r.length >= 24);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ids(subscriber.received)).toEqual(all.slice(2).map((n: any) => n.id));
    // Each entry's cursor resumes the feed right after it.
    const last = subscriber.received[subscriber.received.length - 1].auditEntryAdded;
    expect((await t.gql(EVENTS, { after: last.cursor }, { token })).body.data.events.nodes).toEqual([]);
    await connection.client.dispose();
  });

  it("shows a scoped API key its domain's entries only, and a domainId filter only that domain's", async () => {
    const { token } = await account();
    const scopedDomain = await claim(token, "scoped");
    const other = await claim(token, "other");
    // A key may be scoped to a VERIFIED domain only: mark it so directly.
    const local = Buffer.from(scopedDomain, "base64url").toString().split(":")[1];
    await t.app.dataSource.query(`UPDATE domains SET status = 'VERIFIED', verifiedName = name WHERE id = ?`, [local]);
    const key = (await t.gql(`mutation($d: ID!) { createApiKey(input: { name: "subs", domainId: $d }) { secret } }`, { d: scopedDomain }, { token })).body.data.createApiKey.secret;

    const keyed = connectSubscriber(t.url, `Bearer ${key}`);
    const filtered = connectSubscriber(t.url, `Bearer ${token}`);
    await Promise.all([keyed.connected, filtered.connected]);
    const viaKey = keyed.subscribe(SUBSCRIBE);
    const viaKeyOther = keyed.subscribe(SUBSCRIBE, { domainId: other });
    const viaFilter = filtered.subscribe(SUBSCRIBE, { domainId: other });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await t.gql(REGENERATE, { id: other }, { token });
    await t.gql(REGENERATE, { id: scopedDomain }, { token });
    await viaKey.waitFor((r) => r.length >= 1);
    await viaFilter.waitFor((r) => r.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(viaKey.received.map((r) => r.auditEntryAdded.domainName)).toEqual([expect.stringMatching(/^scoped-/)]);
    expect(viaKeyOther.received).toEqual([]);
    expect(viaFilter.received.map((r) => r.auditEntryAdded.domainName)).toEqual([expect.stringMatching(/^other-/)]);
    await keyed.client.dispose();
    await filtered.client.dispose();
  });

  it("limits subscriptions per connection and per account, and serves only subscriptions", async () => {
    const { token } = await account();
    const first = connectSubscriber(t.url, `Bearer ${token}`);
    await first.connected;
    const running = [first.subscribe(SUBSCRIBE), first.subscribe(SUBSCRIBE), first.subscribe(SUBSCRIBE)];
    const refused = first.subscribe(SUBSCRIBE);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(JSON.stringify(refused.errors)).toContain("TOO_MANY_SUBSCRIPTIONS");
    expect(running.every((s) => s.errors.length === 0)).toBe(true);

    const second = connectSubscriber(t.url, `Bearer ${token}`);
    await second.connected;
    const fourth = second.subscribe(SUBSCRIBE);
    const fifth = second.subscribe(SUBSCRIBE);
    const query = second.subscribe(`query { events { totalCount } }`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fourth.errors).toEqual([]);
    expect(JSON.stringify(fifth.errors)).toContain("SUBSCRIPTIONS_PER_ACCOUNT");
    expect(JSON.stringify(query.errors)).toContain("Only subscriptions");

    // Ending one frees its place.
    await running[0].dispose();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = second.subscribe(SUBSCRIBE);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(again.errors).toEqual([]);
    await first.client.dispose();
    await second.client.dispose();
  });

  it("closes the connection when the token expires", async () => {
    const token = await (await import("../../src/auth/dev-credentials")).mintToken("test-secret-0123456789abcdef0123456789abcdef", { sub: `subs-${db}-expiring` }, 1.5);
    const connection = connectSubscriber(t.url, `Bearer ${token}`);
    await connection.connected;
    const started = Date.now();
    connection.subscribe(SUBSCRIBE);
    const { code, reason } = await connection.closed;
    expect(code).toBe(4403);
    expect(reason).toContain("expired");
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

describe("subscriptions across two instances sharing MariaDB and Redis", () => {
  it("delivers entries written on one instance to subscribers on the other, replay included", async () => {
    const database = await createScratchDatabase("mariadb");
    const env = { REDIS_URL, REDIS_KEY_PREFIX: `dnsproof-test-${randomBytes(4).toString("hex")}:`, WEBHOOK_WORKER_ENABLED: "false", MAX_DOMAINS_PER_ACCOUNT: "100" };
    const a = await startTestApp({ database, env });
    const b = await startTestApp({ database, env });
    try {
      await Promise.all([a.app.events.ready(), b.app.events.ready()]);
      const token = await a.token("subs-fleet");
      const first = (await a.gql(CLAIM, { name: "fleet-first.example.com" }, { token })).body.data.claimDomain.domain.id;
      const cursor = (await a.gql(EVENTS, {}, { token })).body.data.events.nodes[0].cursor;
      await a.gql(REGENERATE, { id: first }, { token });

      const connection = connectSubscriber(b.url, `Bearer ${token}`);
      await connection.connected;
      const subscriber = connection.subscribe(SUBSCRIBE, { after: cursor });
      await subscriber.waitFor((r) => r.length >= 1);
      for (let i = 0; i < 5; i++) await a.gql(REGENERATE, { id: first }, { token });
      const received = await subscriber.waitFor((r) => r.length >= 6, 5_000);
      const all = (await b.gql(EVENTS, {}, { token })).body.data.events.nodes;
      expect(ids(received)).toEqual(all.slice(1).map((n: any) => n.id));
      await connection.client.dispose();
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});
