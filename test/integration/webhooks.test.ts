import { startBind9, Bind9Server } from "../support/bind9";
import { randomBytes } from "node:crypto";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";
import { WebhookReceiver, startWebhookReceiver } from "../support/webhook-receiver";
import { WebhookDelivery } from "../../src/webhooks/webhook-delivery.entity";

/**
 * Webhooks end to end: the real server, bind9 behind verifyDomain, and a real receiver on
 * loopback that checks every signature with the Standard Webhooks reference library.
 */
const ZONE = "hooks.test";
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id name txtRecord { host value } } userErrors { code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`;
const CREATE = `mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret webhookEndpoint { id url actions enabled disabledReason domain { id } createdAt } userErrors { code field message } }
}`;
const UPDATE = `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { webhookEndpoint { id url actions enabled disabledReason } userErrors { code } } }`;
const DELETE = `mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { deletedWebhookEndpointId userErrors { code } } }`;
const ROTATE = `mutation($id: ID!) { rotateWebhookSecret(input: { id: $id }) { secret webhookEndpoint { id } userErrors { code } } }`;
const REDELIVER = `mutation($id: ID!) { redeliverWebhook(input: { deliveryId: $id }) { delivery { id status nextAttemptAt } userErrors { code } } }`;
const ENDPOINTS = `query { webhookEndpoints { totalCount nodes { id url enabled disabledReason
  deliveries(first: 100) { totalCount nodes { id messageId status attempts lastAttemptAt nextAttemptAt lastResponseStatus lastError deliveredAt
    attemptLog { at responseStatus error durationMs } entry { id action domainName } } } } } }`;
const EVENTS = `query($action: AuditAction) { events(action: $action, first: 100) { nodes { action message actor { type } domainName } } }`;

async function eventually(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let dns: Bind9Server;
beforeAll(async () => {
  dns = await startBind9({ zones: [{ name: ZONE }] });
});
afterAll(async () => dns?.stop());

describe.each(DATABASE_FLAVORS)("webhooks on %s", (db) => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp({
      db,
      env: {
        DNS_SERVERS: dns.server,
        DNS_TIMEOUT_MS: "1500",
        WEBHOOK_ALLOW_PRIVATE: "true",
        WEBHOOK_RETRY_SECONDS: "0.2,0.2,0.2",
        MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT: "3",
      },
    });
  });
  afterAll(async () => t?.close());
  // A receiver of its own per test: late retries to an earlier test's endpoints never show up in the next one.
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => receiver?.stop());

  const account = () => t.token(`hooks-${db}-${++seq}`);
  const create = async (token: string, input: Record<string, unknown> = {}) => {
    const result = (await t.gql(CREATE, { input: { url: `${receiver.url}/${++seq}`, ...input } }, { token })).body;
    expect(result.errors).toBeUndefined();
    return result.data.createWebhookEndpoint;
  };
  const endpoints = async (token: string) => (await t.gql(ENDPOINTS, {}, { token })).body.data.webhookEndpoints.nodes;

  it("signs every delivery so the reference library verifies it, for claim and verify, with the entry as data", async () => {
    const token = await account();
    const created = await create(token);
    expect(created.userErrors).toEqual([]);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.secret.slice(6), "base64").length).toBeGreaterThanOrEqual(24);
    receiver.secrets = [created.secret];

    const name = `verify-${++seq}.${ZONE}`;
    const { domain } = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    await dns.update(ZONE, [`update add ${domain.txtRecord.host}. 60 TXT "${domain.txtRecord.value}"`]);
    expect((await t.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain.verified).toBe(true);

    const received = await receiver.waitFor((r) => r.length >= 3);
    expect(received.map((r) => r.payload.type).sort()).toEqual(["DOMAIN_CLAIMED", "VERIFICATION_SUCCEEDED", "WEBHOOK_ENDPOINT_CREATED"]);
    for (const r of received) {
      expect(r.verifiedWith).toBe(0);
      expect(r.id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(Math.abs(r.timestamp - Date.now() / 1000)).toBeLessThan(60);
    }
    const verified = received.find((r) => r.payload.type === "VERIFICATION_SUCCEEDED")!.payload;
    expect(Object.keys(verified)).toEqual(["type", "timestamp", "data"]);
    expect(verified.data).toMatchObject({
      action: "VERIFICATION_SUCCEEDED",
      accountId: `hooks-${db}-${seq - 2}`,
      domainId: domain.id,
      domainName: name,
      previousStatus: "PENDING",
      newStatus: "VERIFIED",
      reason: null,
      graceEndsAt: null,
      actor: { type: "USER", id: `hooks-${db}-${seq - 2}`, email: null },
      check: expect.objectContaining({ outcome: "VERIFIED", method: "TXT" }),
      requestId: expect.any(String),
    });
    expect(verified.timestamp).toBe(verified.data.createdAt);
    expect(Object.keys(verified.data)).toEqual([
      "id", "action", "accountId", "domainId", "domainName", "previousStatus", "newStatus", "reason", "graceEndsAt", "actor", "message", "check", "requestId", "createdAt",
    ]);

    const [listed] = await endpoints(token);
    expect(listed.deliveries.totalCount).toBe(3);
    for (const d of listed.deliveries.nodes) {
      expect(d).toMatchObject({ status: "DELIVERED", attempts: 1, lastResponseStatus: 200, lastError: null, nextAttemptAt: null });
      expect(received.map((r) => r.id)).toContain(d.messageId);
      expect(d.attemptLog).toEqual([expect.objectContaining({ responseStatus: 200, error: null })]);
    }
  });

  it("retries 500s with backoff under the same webhook-id, and marks the delivery DELIVERED once a 2xx comes", async () => {
    const token = await account();
    const created = await create(token, { actions: ["DOMAIN_CLAIMED"] });
    receiver.secrets = [created.secret];
    receiver.respond = (_d, index) => (index < 2 ? 500 : 204);
    await t.gql(CLAIM, { name: `retry-${++seq}.${ZONE}` }, { token });
    const received = await receiver.waitFor((r) => r.length >= 3);
    expect(new Set(received.map((r) => r.id)).size).toBe(1);
    expect(received.map((r) => r.verifiedWith)).toEqual([0, 0, 0]);
    expect(received[1].receivedAt - received[0].receivedAt).toBeGreaterThanOrEqual(150);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [listed] = await endpoints(token);
    const delivery = listed.deliveries.nodes[0];
    expect(delivery).toMatchObject({ status: "DELIVERED", attempts: 3, lastResponseStatus: 204, entry: { action: "DOMAIN_CLAIMED" } });
    expect(delivery.attemptLog.map((a: any) => a.responseStatus)).toEqual([500, 500, 204]);
    expect(delivery.attemptLog[0].error).toBe("The endpoint answered 500.");
  });

  it("gives up after the last retry (FAILED), and redeliverWebhook sends it again with the same id", async () => {
    const token = await account();
    const created = await create(token, { actions: ["DOMAIN_CLAIMED"] });
    receiver.secrets = [created.secret];
    receiver.respond = () => 503;
    await t.gql(CLAIM, { name: `fail-${++seq}.${ZONE}` }, { token });
    await receiver.waitFor((r) => r.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received).toHaveLength(4);
    let [listed] = await endpoints(token);
    const delivery = listed.deliveries.nodes[0];
    expect(delivery).toMatchObject({ status: "FAILED", attempts: 4, nextAttemptAt: null, lastResponseStatus: 503 });
    expect(listed.enabled).toBe(true);

    receiver.respond = () => 200;
    const redelivered = (await t.gql(REDELIVER, { id: delivery.id }, { token })).body.data.redeliverWebhook;
    expect(redelivered).toMatchObject({ userErrors: [], delivery: { id: delivery.id, status: "PENDING" } });
    await receiver.waitFor((r) => r.length >= 5);
    expect(receiver.received[4].id).toBe(delivery.messageId);
    await new Promise((resolve) => setTimeout(resolve, 200));
    [listed] = await endpoints(token);
    expect(listed.deliveries.nodes[0]).toMatchObject({ status: "DELIVERED", attempts: 5 });

    const stranger = await account();
    expect((await t.gql(REDELIVER, { id: delivery.id }, { token: stranger })).body.data.redeliverWebhook.userErrors).toEqual([{ code: "NOT_FOUND" }]);
  });

  it("disables an endpoint that answers 410 Gone, audited, keeps later entries parked, and sends them once re-enabled", async () => {
    const token = await account();
    const created = await create(token, { actions: ["DOMAIN_CLAIMED"] });
    receiver.secrets = [created.secret];
    receiver.respond = () => 410;
    await t.gql(CLAIM, { name: `gone-${++seq}.${ZONE}` }, { token });
    await receiver.waitFor((r) => r.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    let [listed] = await endpoints(token);
    expect(listed).toMatchObject({ enabled: false, disabledReason: "The endpoint answered 410 Gone." });
    expect(listed.deliveries.nodes[0]).toMatchObject({ status: "FAILED", attempts: 1, lastResponseStatus: 410 });
    const disabled = (await t.gql(EVENTS, { action: "WEBHOOK_ENDPOINT_DISABLED" }, { token })).body.data.events.nodes;
    expect(disabled).toEqual([expect.objectContaining({ actor: { type: "SYSTEM" }, message: expect.stringContaining("410 Gone") })]);

    // While disabled nothing is queued for it.
    await t.gql(CLAIM, { name: `while-off-${++seq}.${ZONE}` }, { token });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received).toHaveLength(1);

    receiver.respond = () => 200;
    const update = (await t.gql(UPDATE, { input: { id: listed.id, enabled: true } }, { token })).body.data.updateWebhookEndpoint;
    expect(update).toMatchObject({ userErrors: [], webhookEndpoint: { enabled: true, disabledReason: null } });
    await t.gql(CLAIM, { name: `back-on-${++seq}.${ZONE}` }, { token });
    await receiver.waitFor((r) => r.length >= 2);
    expect(receiver.received[1].payload.data.domainName).toMatch(/^back-on-/);
  });

  it("disables an endpoint whose attempts have all failed for WEBHOOK_DISABLE_AFTER_HOURS, and resumes its parked deliveries when re-enabled", async () => {
    const local = await startTestApp({
      db,
      env: { WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_SECONDS: "0.2", WEBHOOK_DISABLE_AFTER_HOURS: "0.0001" },
    });
    try {
      const token = await local.token("hooks-disable-after");
      const created = (await local.gql(CREATE, { input: { url: receiver.url, actions: ["DOMAIN_CLAIMED"] } }, { token })).body.data.createWebhookEndpoint;
      receiver.secrets = [created.secret];
      receiver.respond = () => 500;
      await local.gql(CLAIM, { name: `failing-a-${++seq}.${ZONE}` }, { token });
      await receiver.waitFor((r) => r.length >= 2);
      await new Promise((resolve) => setTimeout(resolve, 200));
      let [listed] = (await local.gql(ENDPOINTS, {}, { token })).body.data.webhookEndpoints.nodes;
      expect(listed.enabled).toBe(false);
      expect(listed.disabledReason).toContain("WEBHOOK_DISABLE_AFTER_HOURS");

      receiver.respond = () => 200;
      const before = receiver.received.length;
      expect((await local.gql(UPDATE, { input: { id: listed.id, enabled: true } }, { token })).body.data.updateWebhookEndpoint.userErrors).toEqual([]);
      await local.gql(CLAIM, { name: `failing-b-${++seq}.${ZONE}` }, { token });
      await receiver.waitFor((r) => r.filter((x) => x.status === 200).length >= 1 && r.length > before);
      await new Promise((resolve) => setTimeout(resolve, 300));
      [listed] = (await local.gql(ENDPOINTS, {}, { token })).body.data.webhookEndpoints.nodes;
      expect(listed.enabled).toBe(true);
      expect(listed.deliveries.nodes.map((d: any) => d.status).sort()).toEqual(expect.arrayContaining(["DELIVERED"]));
    } finally {
      await local.close();
    }
  });

  it("signs with the old and the new secret for 24 hours after rotateWebhookSecret", async () => {
    const token = await account();
    const created = await create(token, { actions: ["DOMAIN_CLAIMED"] });
    const rotated = (await t.gql(ROTATE, { id: created.webhookEndpoint.id }, { token })).body.data.rotateWebhookSecret;
    expect(rotated.userErrors).toEqual([]);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    receiver.secrets = [created.secret, rotated.secret];
    await t.gql(CLAIM, { name: `rotate-${++seq}.${ZONE}` }, { token });
    const [delivery] = await receiver.waitFor((r) => r.length >= 1);
    expect(delivery.signaturesVerified).toEqual([1, 0]);

    await eventually(async () => (await t.app.dataSource.manager.findOneByOrFail(WebhookDelivery, { messageId: delivery.id })).status === "DELIVERED");
    const updated = (await t.gql(EVENTS, { action: "WEBHOOK_ENDPOINT_UPDATED" }, { token })).body.data.events.nodes;
    expect(updated[0].message).toContain("Rotated the signing secret");
  });

  it("delivers only the chosen actions and the chosen domain's entries", async () => {
    const token = await account();
    const { domain: chosen } = (await t.gql(CLAIM, { name: `chosen-${++seq}.${ZONE}` }, { token })).body.data.claimDomain;
    const created = await create(token, { domainId: chosen.id, actions: ["TOKEN_REGENERATED"] });
    expect(created.webhookEndpoint).toMatchObject({ actions: ["TOKEN_REGENERATED"], domain: { id: chosen.id } });
    receiver.secrets = [created.secret];
    const { domain: other } = (await t.gql(CLAIM, { name: `other-${++seq}.${ZONE}` }, { token })).body.data.claimDomain;
    const REGENERATE = `mutation($id: ID!) { regenerateToken(input: { id: $id }) { userErrors { code } } }`;
    await t.gql(REGENERATE, { id: other.id }, { token });
    await t.gql(REGENERATE, { id: chosen.id }, { token });
    await receiver.waitFor((r) => r.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.map((r) => [r.payload.type, r.payload.data.domainName])).toEqual([["TOKEN_REGENERATED", chosen.name]]);
  });

  it("wakes the worker after each commit that made deliveries due, and after no other", async () => {
    let due = 0;
    t.app.webhooks.onDeliveriesDue(() => due++);
    const claim = async (token: string) => {
      const before = due;
      expect((await t.gql(CLAIM, { name: `due-${++seq}.${ZONE}` }, { token })).body.data.claimDomain.userErrors).toEqual([]);
      return due - before;
    };
    // An account without endpoints: its claims make nothing due, so the worker is not woken to poll for nothing.
    expect(await claim(await account())).toBe(0);
    // Endpoints that do not want the entry: nothing due either.
    const picky = await account();
    await create(picky, { actions: ["TOKEN_REGENERATED"] });
    expect(await claim(picky)).toBe(0);
    // One that does: the claim's commit signals once, however many endpoints get a delivery.
    const token = await account();
    receiver.secrets = [(await create(token, { actions: ["DOMAIN_CLAIMED"] })).secret];
    await create(token, { actions: ["DOMAIN_CLAIMED"] });
    expect(await claim(token)).toBe(1);
    await receiver.waitFor((r) => r.length >= 2);
    // Asking for a delivery again makes it due.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [listed] = await endpoints(token);
    const before = due;
    expect((await t.gql(REDELIVER, { id: listed.deliveries.nodes[0].id }, { token })).body.data.redeliverWebhook.userErrors).toEqual([]);
    expect(due - before).toBe(1);
    await receiver.waitFor((r) => r.length >= 3);
  });

  it("caps endpoints per account, audits every change, and hides endpoints from other accounts", async () => {
    const owner = `hooks-${db}-owner-${++seq}`;
    const token = await t.token(owner);
    const a = await create(token);
    await create(token);
    await create(token);
    const fourth = await create(token);
    expect(fourth).toMatchObject({ webhookEndpoint: null, secret: null, userErrors: [{ code: "WEBHOOK_LIMIT_REACHED", field: ["input", "url"] }] });

    const stranger = await account();
    expect(await endpoints(stranger)).toEqual([]);
    const id = a.webhookEndpoint.id;
    expect((await t.gql(UPDATE, { input: { id, url: receiver.url } }, { token: stranger })).body.data.updateWebhookEndpoint.userErrors).toEqual([{ code: "NOT_FOUND" }]);
    expect((await t.gql(DELETE, { id }, { token: stranger })).body.data.deleteWebhookEndpoint.userErrors).toEqual([{ code: "NOT_FOUND" }]);
    expect((await t.gql(ROTATE, { id }, { token: stranger })).body.data.rotateWebhookSecret.userErrors).toEqual([{ code: "NOT_FOUND" }]);
    expect((await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, { token: stranger })).body.data.node).toBeNull();
    expect((await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, { token })).body.data.node).toEqual({ id });

    expect((await t.gql(UPDATE, { input: { id, url: `${receiver.url}/moved`, actions: ["DOMAIN_REMOVED"] } }, { token })).body.data.updateWebhookEndpoint).toMatchObject({
      userErrors: [],
      webhookEndpoint: { url: `${receiver.url}/moved`, actions: ["DOMAIN_REMOVED"] },
    });
    expect((await t.gql(DELETE, { id }, { token })).body.data.deleteWebhookEndpoint).toEqual({ deletedWebhookEndpointId: id, userErrors: [] });
    expect(await endpoints(token)).toHaveLength(2);
    const actions = (await t.gql(EVENTS, {}, { token })).body.data.events.nodes.map((n: any) => n.action);
    expect(actions).toEqual([
      "WEBHOOK_ENDPOINT_CREATED",
      "WEBHOOK_ENDPOINT_CREATED",
      "WEBHOOK_ENDPOINT_CREATED",
      "WEBHOOK_ENDPOINT_UPDATED",
      "WEBHOOK_ENDPOINT_DELETED",
    ]);
    // Another account's entries never reach this account's endpoints.
    await t.gql(CLAIM, { name: `strangers-${++seq}.${ZONE}` }, { token: stranger });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.filter((r) => r.payload.data.accountId !== owner)).toEqual([]);
    expect(receiver.received.length).toBeGreaterThan(0);
  });

  it("lets a scoped API key manage only its domain's endpoints", async () => {
    const token = await account();
    const { domain } = (await t.gql(CLAIM, { name: `scoped-${++seq}.${ZONE}` }, { token })).body.data.claimDomain;
    await dns.update(ZONE, [`update add ${domain.txtRecord.host}. 60 TXT "${domain.txtRecord.value}"`]);
    await t.gql(VERIFY, { id: domain.id }, { token });
    const key = (await t.gql(`mutation($d: ID!) { createApiKey(input: { name: "hooks", domainId: $d }) { secret } }`, { d: domain.id }, { token })).body.data.createApiKey.secret;
    await create(token);
    const scoped = await create(key);
    expect(scoped.userErrors).toEqual([]);
    expect(scoped.webhookEndpoint.domain).toEqual({ id: domain.id });
    const listed = await endpoints(key);
    expect(listed.map((e: any) => e.id)).toEqual([scoped.webhookEndpoint.id]);
    const { domain: other } = (await t.gql(CLAIM, { name: `unscoped-${++seq}.${ZONE}` }, { token })).body.data.claimDomain;
    expect((await create(key, { domainId: other.id })).userErrors).toEqual([expect.objectContaining({ code: "NOT_FOUND" })]);
  });

  it("counts the webhook mutations against the mutation quota", async () => {
    const limited = await startTestApp({ db, env: { WEBHOOK_ALLOW_PRIVATE: "true", RATE_LIMIT_MUTATIONS_PER_MINUTE: "2", WEBHOOK_WORKER_ENABLED: "false" } });
    try {
      const token = await limited.token("hooks-quota");
      const send = () => limited.gql(CREATE, { input: { url: receiver.url } }, { token });
      expect((await send()).body.errors).toBeUndefined();
      expect((await send()).body.errors).toBeUndefined();
      expect((await send()).body.errors?.[0].extensions?.code).toBe("RATE_LIMITED");
    } finally {
      await limited.close();
    }
  });
});

describe("webhooks across two instances sharing MariaDB and Redis", () => {
  it("an instance with its worker switched off hands its deliveries over: its commit signal wakes the other's worker", async () => {
    const database = await createScratchDatabase("mariadb");
    const env = { REDIS_URL, REDIS_KEY_PREFIX: `dnsproof-test-${randomBytes(4).toString("hex")}:`, WEBHOOK_ALLOW_PRIVATE: "true" };
    const api = await startTestApp({ database, env: { ...env, WEBHOOK_WORKER_ENABLED: "false" } });
    const worker = await startTestApp({ database, env });
    const receiver = await startWebhookReceiver();
    try {
      await Promise.all([api.app.events.ready(), worker.app.events.ready()]);
      const token = await api.token("hooks-fleet");
      const created = (await api.gql(CREATE, { input: { url: `${receiver.url}/fleet`, actions: ["DOMAIN_CLAIMED"] } }, { token })).body.data.createWebhookEndpoint;
      receiver.secrets = [created.secret];
      // Who woke the worker: the event bus (a signal from the other instance) or its own poll's timer.
      const wakers: string[] = [];
      const wake = worker.app.deliveryWorker.wake.bind(worker.app.deliveryWorker);
      jest.spyOn(worker.app.deliveryWorker, "wake").mockImplementation(() => {
        wakers.push(/event-bus/.test(new Error().stack ?? "") ? "signal" : "other");
        wake();
      });
      await api.gql(CLAIM, { name: `fleet.${ZONE}` }, { token });
      const [delivered] = await receiver.waitFor((r) => r.length >= 1);
      expect(delivered.payload).toMatchObject({ type: "DOMAIN_CLAIMED", data: { domainName: `fleet.${ZONE}` } });
      expect(wakers).toContain("signal");
    } finally {
      await receiver.stop();
      await worker.close();
      await api.close();
    }
  });
});
