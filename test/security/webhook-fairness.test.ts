import { postWebhook } from "../../src/webhooks/http-client";
import { webhookDnsResolve } from "../../src/webhooks/webhook-url";
import { WebhookDelivery } from "../../src/webhooks/webhook-delivery.entity";
import { WebhookEndpoint } from "../../src/webhooks/webhook-endpoint.entity";
import { DATABASE_FLAVORS } from "../support/databases";
import { SilentDnsServer, startSilentDnsServer } from "../support/silent-dns-server";
import { TestApp, startTestApp } from "../support/test-app";
import { WebhookReceiver, startWebhookReceiver } from "../support/webhook-receiver";

/**
 * One account's webhooks cannot hold up another's: endpoints whose receiver never answers,
 * or whose host names never resolve, take at most their account's share of the delivery
 * pool and at most WEBHOOK_TIMEOUT_MS each, name lookup included, while another account's
 * delivery goes out within seconds. Everything stays on loopback: the receivers, and a DNS
 * server that swallows every query.
 */

/** The attempt deadline the slow deliveries would otherwise be waited for. */
const TIMEOUT_MS = 20_000;
/** How soon a victim's delivery must arrive: far below TIMEOUT_MS, generous for a loaded machine. */
const VICTIM_BOUND_MS = 6_000;
const DNS_TIMEOUT_MS = 1_000;
const PER_ACCOUNT = 5;

const CREATE = `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, actions: [DOMAIN_CLAIMED] }) { webhookEndpoint { id } secret userErrors { code message } } }`;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id } userErrors { code } } }`;
const localId = (globalId: string) => Buffer.from(globalId, "base64url").toString().split(":")[1];

describe("a webhook deadline that includes the name lookup", () => {
  let silent: SilentDnsServer;
  beforeAll(async () => {
    silent = await startSilentDnsServer();
  });
  afterAll(async () => {
    await silent?.stop();
  });

  it("ends an attempt whose host name never resolves at WEBHOOK_TIMEOUT_MS, whatever the lookup's own timeout", async () => {
    const resolve = webhookDnsResolve({ dnsServers: [silent.server], dnsTimeoutMs: 30_000 });
    const started = Date.now();
    const outcome = await postWebhook("http://hooks.never-answers.test:9/x", {}, "{}", { allowPrivate: true, timeoutMs: 500, resolve });
    expect(outcome).toMatchObject({ status: null, error: "No answer within 500 ms." });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(silent.received()).toBeGreaterThan(0);
  });
});

describe.each(DATABASE_FLAVORS)("webhook delivery shared between accounts on %s", (db) => {
  let t: TestApp;
  let silent: SilentDnsServer;
  let hanging: WebhookReceiver;
  let victims: WebhookReceiver;

  beforeAll(async () => {
    silent = await startSilentDnsServer();
    hanging = await startWebhookReceiver();
    hanging.hold = true;
    victims = await startWebhookReceiver();
    t = await startTestApp({
      db,
      env: {
        NODE_ENV: "production",
        WEBHOOK_ALLOW_PRIVATE: "true",
        WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
        WEBHOOK_RETRY_SECONDS: "600",
        WEBHOOK_CONCURRENCY: "10",
        WEBHOOK_CONCURRENCY_PER_ACCOUNT: String(PER_ACCOUNT),
        WEBHOOK_DNS_SERVERS: silent.server,
        WEBHOOK_DNS_TIMEOUT_MS: String(DNS_TIMEOUT_MS),
      },
    });
  });
  afterAll(async () => {
    // Hanging POSTs end (reset) before the server waits for them on close.
    await hanging?.stop();
    await t?.close();
    await victims?.stop();
    await silent?.stop();
  });

  /** Ten endpoints of one account, all on `url`; their local ids. */
  async function tenEndpoints(token: string, url: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const created = (await t.gql(CREATE, { url: `${url}?n=${i}` }, { token })).body.data.createWebhookEndpoint;
      expect(created.userErrors).toEqual([]);
      ids.push(localId(created.webhookEndpoint.id));
    }
    return ids;
  }

  /** Claims `name` as `victim` and says how long its delivery took to reach the victims' receiver. */
  async function victimDeliveryMs(victim: string, name: string): Promise<number> {
    const token = await t.token(victim);
    const created = (await t.gql(CREATE, { url: victims.url }, { token })).body.data.createWebhookEndpoint;
    expect(created.userErrors).toEqual([]);
    victims.secrets.push(created.secret);
    const started = Date.now();
    expect((await t.gql(CLAIM, { name }, { token })).body.data.claimDomain.userErrors).toEqual([]);
    const [delivery] = (await victims.waitFor((r) => r.some((d) => d.payload?.data?.domainName === name), VICTIM_BOUND_MS)).filter((d) => d.payload?.data?.domainName === name);
    expect(delivery.verifiedWith).toBeGreaterThanOrEqual(0);
    return Date.now() - started;
  }

  it("delivers another account's event within seconds while ten endpoints of one account never answer", async () => {
    const attacker = await t.token("fair-attacker");
    await tenEndpoints(attacker, hanging.url);
    expect((await t.gql(CLAIM, { name: "fair-attacker.example.com" }, { token: attacker })).body.data.claimDomain.userErrors).toEqual([]);
    // The attacker's POSTs are out and hanging: as many as its share allows.
    await hanging.waitFor((r) => r.length >= PER_ACCOUNT, 10_000);

    expect(await victimDeliveryMs("fair-victim", "fair-victim.example.com")).toBeLessThan(VICTIM_BOUND_MS);
    expect(hanging.holding()).toBeLessThanOrEqual(PER_ACCOUNT);
    expect(hanging.received.length).toBeLessThanOrEqual(PER_ACCOUNT);
  });

  it("ends attempts to host names that never resolve within the lookup's timeout, and keeps another account's delivery within seconds", async () => {
    // Lookups must go to the loopback server that never answers, never to the system's resolvers.
    expect(t.app.config.webhooks.dnsServers).toEqual([silent.server]);
    const attacker = await t.token("dns-attacker");
    // Created while they pointed at a literal address; the names stop answering afterwards, as a lapsed domain's would.
    const ids = await tenEndpoints(attacker, "http://127.0.0.1:9/hook");
    for (const [i, id] of ids.entries()) await t.app.dataSource.manager.update(WebhookEndpoint, { id }, { url: `http://hook-${i}.never-answers.test:9/hook` });
    const queriesBefore = silent.received();
    expect((await t.gql(CLAIM, { name: "dns-attacker.example.com" }, { token: attacker })).body.data.claimDomain.userErrors).toEqual([]);

    expect(await victimDeliveryMs("dns-victim", "dns-victim.example.com")).toBeLessThan(VICTIM_BOUND_MS);

    const attempted = async () => (await t.app.dataSource.manager.findBy(WebhookDelivery, { accountId: "dns-attacker" })).filter((d) => d.attempts > 0);
    const deadline = Date.now() + 15_000;
    while ((await attempted()).length < ids.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const deliveries = await attempted();
    expect(deliveries).toHaveLength(ids.length);
    for (const delivery of deliveries) {
      expect(delivery.lastError).toMatch(/did not resolve in time/);
      expect(delivery.attemptLog[0].durationMs).toBeLessThan(DNS_TIMEOUT_MS + 4_000);
    }
    expect(silent.received()).toBeGreaterThan(queriesBefore);
  });

  it("answers a new endpoint whose host name never resolves with INVALID_URL within the lookup's timeout", async () => {
    const started = Date.now();
    const created = (await t.gql(CREATE, { url: "http://new.never-answers.test/hook" }, { token: await t.token("dns-creator") })).body.data.createWebhookEndpoint;
    expect(created.userErrors).toEqual([{ code: "INVALID_URL", message: "new.never-answers.test did not resolve in time." }]);
    expect(Date.now() - started).toBeLessThan(DNS_TIMEOUT_MS + 4_000);
  });
});
