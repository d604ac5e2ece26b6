import { PREVIOUS_SECRET_MS } from "./webhook.service";
import { createFakeWebhookService } from "./testing/fake-webhook-service";
import { WebhookDeliveryStatus } from "./webhook-delivery.entity";
import type { WebhookEndpoint } from "./webhook-endpoint.entity";
import type { AuditEntry } from "../audit/audit-entry.entity";
import { AuditAction } from "../audit/audit.types";
import type { Principal } from "../shared/principal";

const alice: Principal = { accountId: "alice", userId: "alice", email: null, isAdmin: false, via: "jwt", expiresAt: null };
const bob: Principal = { ...alice, accountId: "bob", userId: "bob" };
const ctx = (principal: Principal = alice) => ({ principal, requestId: "req-1" });
const notFoundEndpoint = { ok: false, error: { code: "NOT_FOUND", field: ["input", "id"], message: "No such webhook endpoint in your account." } };

type Fake = ReturnType<typeof createFakeWebhookService>;

async function created(fake: Fake, input: { url?: string; actions?: AuditAction[]; domainId?: string } = {}, principal = alice): Promise<WebhookEndpoint> {
  const result = await fake.service.create(ctx(principal), { url: "https://hooks.example.com/in", ...input });
  if (!result.ok) throw new Error(result.error.message);
  return result.endpoint;
}

let entries = 0;
function entry(action: AuditAction, domainId: string | null = null, accountId = "alice"): AuditEntry {
  return { id: `entry-${++entries}`, accountId, domainId, action } as AuditEntry;
}

describe("WebhookService.create", () => {
  it("creates an enabled endpoint with its secret, audited", async () => {
    const fake = createFakeWebhookService();
    const result = await fake.service.create(ctx(), { url: " https://hooks.example.com/in ", actions: [AuditAction.DOMAIN_REMOVED, AuditAction.DOMAIN_REMOVED] });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.endpoint).toMatchObject({ accountId: "alice", url: "https://hooks.example.com/in", actions: [AuditAction.DOMAIN_REMOVED], enabled: true, secret: result.secret });
    expect(fake.endpoints.table.get(result.endpoint.id)).toEqual(result.endpoint);
    expect(fake.audit.entries).toEqual([
      expect.objectContaining({ action: AuditAction.WEBHOOK_ENDPOINT_CREATED, domain: null, message: "Created the webhook endpoint https://hooks.example.com/in." }),
    ]);
  });

  it("refuses a fourth endpoint past MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT, counting each account on its own", async () => {
    const fake = createFakeWebhookService();
    for (let i = 0; i < 3; i++) await created(fake);
    await created(fake, {}, bob);
    expect(await fake.service.create(ctx(), { url: "https://hooks.example.com/in" })).toEqual({
      ok: false,
      error: { code: "WEBHOOK_LIMIT_REACHED", field: ["input", "url"], message: "Your account has 3 of 3 webhook endpoints; delete one before creating another." },
    });
  });

  it.each([
    ["http://hooks.example.com/in", "Webhook URLs must start with https://."],
    ["not a url", "That is not a URL; give an absolute https:// URL."],
    ["https://user:pw@hooks.example.com/", "Webhook URLs may not carry a user name or password."],
    ["https://10.0.0.1/in", "10.0.0.1 is not a public address; webhooks are only sent to the public internet."],
    ["https://intranet/in", '"intranet" is not a public host name.'],
    ["https://private.example.com/in", "private.example.com resolves to 192.168.1.10, which is not a public address."],
    ["https://nowhere.example.com/in", "nowhere.example.com does not resolve."],
  ])("refuses %s as INVALID_URL, on creation and on update", async (url, message) => {
    const resolve = async (host: string) => (host === "private.example.com" ? [{ address: "192.168.1.10", family: 4 }] : host === "nowhere.example.com" ? [] : [{ address: "93.184.215.14", family: 4 }]);
    const fake = createFakeWebhookService({ settings: { resolve } });
    const refused = { ok: false, error: { code: "INVALID_URL", field: ["input", "url"], message } };
    expect(await fake.service.create(ctx(), { url })).toEqual(refused);
    const endpoint = await created(fake);
    expect(await fake.service.update(ctx(), { id: endpoint.id, url })).toEqual(refused);
  });

  it("ties an endpoint to a domain of the account, and a scoped caller's endpoints to its domain", async () => {
    const fake = createFakeWebhookService();
    const mine = fake.putDomain({ accountId: "alice", name: "mine.example.com" });
    const other = fake.putDomain({ accountId: "alice", name: "other.example.com" });
    const bobs = fake.putDomain({ accountId: "bob", name: "bob.example.com" });
    expect(await created(fake, { domainId: mine.id })).toMatchObject({ domainId: mine.id, domainName: "mine.example.com" });
    const missingDomain = { ok: false, error: { code: "NOT_FOUND", field: ["input", "domainId"], message: "No such domain in your account." } };
    expect(await fake.service.create(ctx(), { url: "https://hooks.example.com/in", domainId: bobs.id })).toEqual(missingDomain);

    const scoped: Principal = { ...alice, userId: null, via: "api-key", scopedDomainId: mine.id };
    expect(await created(fake, {}, scoped)).toMatchObject({ domainId: mine.id });
    expect(await fake.service.create(ctx(scoped), { url: "https://hooks.example.com/in", domainId: other.id })).toEqual(missingDomain);
    const listed = await fake.service.list(scoped, { first: 10, after: null });
    expect(listed.nodes.every((e) => e.domainId === mine.id)).toBe(true);
    expect(listed.totalCount).toBe(2);
  });
});

describe("WebhookService.update, delete and rotateSecret", () => {
  it("updates the URL and actions, saying what changed", async () => {
    const fake = createFakeWebhookService();
    const endpoint = await created(fake);
    const result = await fake.service.update(ctx(), { id: endpoint.id, url: "https://hooks.example.com/moved", actions: [AuditAction.DOMAIN_REMOVED] });
    expect(result).toMatchObject({ ok: true, endpoint: { url: "https://hooks.example.com/moved", actions: [AuditAction.DOMAIN_REMOVED] } });
    expect(fake.audit.entries[1]).toMatchObject({
      action: AuditAction.WEBHOOK_ENDPOINT_UPDATED,
      message: "Updated the webhook endpoint https://hooks.example.com/moved: URL https://hooks.example.com/in → https://hooks.example.com/moved; actions DOMAIN_REMOVED.",
    });
    await fake.service.update(ctx(), { id: endpoint.id });
    expect(fake.audit.entries[2].message).toBe("Updated the webhook endpoint https://hooks.example.com/moved; nothing changed.");
  });

  it("disables an endpoint, parking its pending deliveries, and sends them when it is enabled again", async () => {
    const fake = createFakeWebhookService();
    const endpoint = await created(fake);
    await fake.service.createDeliveries({} as never, [entry(AuditAction.DOMAIN_CLAIMED)]);
    const [delivery] = fake.deliveries.table.all();
    await fake.service.update(ctx(), { id: endpoint.id, enabled: false });
    expect(fake.endpoints.table.get(endpoint.id)).toMatchObject({ enabled: false, disabledReason: "Disabled by the account." });
    expect(fake.deliveries.table.get(delivery.id)?.nextAttemptAt).toBeNull();

    fake.clock.advance(60_000);
    const wakes = fake.wakes.count;
    await fake.service.update(ctx(), { id: endpoint.id, enabled: true });
    expect(fake.endpoints.table.get(endpoint.id)).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    expect(fake.deliveries.table.get(delivery.id)?.nextAttemptAt).toEqual(fake.clock.now());
    expect(fake.wakes.count).toBe(wakes + 1);
    expect(fake.audit.entries.slice(1).map((e) => e.message)).toEqual([
      "Updated the webhook endpoint https://hooks.example.com/in: disabled.",
      "Updated the webhook endpoint https://hooks.example.com/in: re-enabled.",
    ]);
  });

  it("deletes an endpoint with its deliveries, audited", async () => {
    const fake = createFakeWebhookService();
    const endpoint = await created(fake);
    await fake.service.createDeliveries({} as never, [entry(AuditAction.DOMAIN_CLAIMED)]);
    expect(await fake.service.delete(ctx(), endpoint.id)).toEqual({ ok: true, deletedId: endpoint.id });
    expect(fake.endpoints.table.all()).toEqual([]);
    expect(fake.deliveries.table.all()).toEqual([]);
    expect(fake.audit.entries.map((e) => e.action)).toEqual([AuditAction.WEBHOOK_ENDPOINT_CREATED, AuditAction.WEBHOOK_ENDPOINT_DELETED]);
  });

  it("rotates the secret, keeping the previous one signing for PREVIOUS_SECRET_MS", async () => {
    const fake = createFakeWebhookService();
    const endpoint = await created(fake);
    const rotated = await fake.service.rotateSecret(ctx(), endpoint.id);
    if (!rotated.ok) throw new Error(rotated.error.message);
    expect(rotated.secret).not.toBe(endpoint.secret);
    const until = new Date(fake.clock.now().getTime() + PREVIOUS_SECRET_MS);
    expect(rotated.endpoint).toMatchObject({ secret: rotated.secret, previousSecret: endpoint.secret, previousSecretExpiresAt: until });
    expect(fake.audit.entries[1].message).toBe(
      `Rotated the signing secret of https://hooks.example.com/in; the old one keeps signing beside it until ${until.toISOString()}.`,
    );
    expect(fake.service.signingSecrets(rotated.endpoint)).toEqual([rotated.secret, endpoint.secret]);
    fake.clock.advance(PREVIOUS_SECRET_MS);
    expect(fake.service.signingSecrets(rotated.endpoint)).toEqual([rotated.secret]);
  });

  it("answers another account's endpoint, and one outside a scoped caller's domain, as not found, and changes nothing", async () => {
    const fake = createFakeWebhookService();
    const endpoint = await created(fake);
    const scoped: Principal = { ...alice, userId: null, via: "api-key", scopedDomainId: "elsewhere" };
    for (const principal of [bob, scoped]) {
      expect(await fake.service.update(ctx(principal), { id: endpoint.id, enabled: false })).toEqual(notFoundEndpoint);
      expect(await fake.service.delete(ctx(principal), endpoint.id)).toEqual(notFoundEndpoint);
      expect(await fake.service.rotateSecret(ctx(principal), endpoint.id)).toEqual(notFoundEndpoint);
      expect(await fake.service.findOwned(principal, endpoint.id)).toBeNull();
    }
    expect(fake.endpoints.table.get(endpoint.id)).toEqual(endpoint);
    expect(fake.audit.entries).toHaveLength(1);
  });
});

describe("WebhookService.createDeliveries", () => {
  it("makes one PENDING delivery per enabled endpoint of the account that wants the entry's action and domain", async () => {
    const fake = createFakeWebhookService({ settings: { maxPerAccount: 10 } });
    const domain = fake.putDomain({ accountId: "alice", name: "mine.example.com" });
    const all = await created(fake);
    const removals = await created(fake, { actions: [AuditAction.DOMAIN_REMOVED] });
    const ofDomain = await created(fake, { domainId: domain.id });
    const disabled = await created(fake);
    await fake.service.update(ctx(), { id: disabled.id, enabled: false });
    await created(fake, {}, bob);
    const wakes = fake.wakes.count;

    const wanted = async (action: AuditAction, domainId: string | null) => {
      fake.deliveries.table.delete(() => true);
      await fake.service.createDeliveries({} as never, [entry(action, domainId)]);
      return fake.deliveries.table.all().map((d) => d.endpointId).sort();
    };
    expect(await wanted(AuditAction.DOMAIN_CLAIMED, "other")).toEqual([all.id]);
    expect(await wanted(AuditAction.DOMAIN_REMOVED, "other")).toEqual([all.id, removals.id].sort());
    expect(await wanted(AuditAction.DOMAIN_CLAIMED, domain.id)).toEqual([all.id, ofDomain.id].sort());
    expect(fake.wakes.count).toBe(wakes + 3);
  });

  it("writes deliveries that are due now, with a message id of their own", async () => {
    const fake = createFakeWebhookService();
    const endpoint = await created(fake);
    await fake.service.createDeliveries({} as never, [entry(AuditAction.DOMAIN_CLAIMED)]);
    const [delivery] = fake.deliveries.table.all();
    expect(delivery).toMatchObject({
      endpointId: endpoint.id,
      accountId: "alice",
      entryId: `entry-${entries}`,
      messageId: `msg_${delivery.id.replace(/-/g, "")}`,
      status: WebhookDeliveryStatus.PENDING,
      attempts: 0,
      nextAttemptAt: fake.clock.now(),
      attemptLog: [],
    });
  });

  it("writes nothing and wakes nobody when no endpoint wants the entry", async () => {
    const fake = createFakeWebhookService();
    await created(fake, { actions: [AuditAction.DOMAIN_REMOVED] });
    const wakes = fake.wakes.count;
    await fake.service.createDeliveries({} as never, [entry(AuditAction.DOMAIN_CLAIMED)]);
    expect(fake.deliveries.table.all()).toEqual([]);
    expect(fake.wakes.count).toBe(wakes);
  });
});

describe("WebhookService.createDeliveries for a batch of entries", () => {
  it("reads the endpoints of every account once, writes every delivery in one insert, each entry matched as on its own", async () => {
    const setUp = async () => {
      const fake = createFakeWebhookService({ settings: { maxPerAccount: 10 } });
      const domain = fake.putDomain({ accountId: "alice", name: "mine.example.com" });
      const endpoints = {
        all: await created(fake),
        removals: await created(fake, { actions: [AuditAction.DOMAIN_REMOVED] }),
        ofDomain: await created(fake, { domainId: domain.id }),
        bobs: await created(fake, {}, bob),
      };
      return { fake, domain, endpoints };
    };
    const batchOf = (domainId: string) => [
      entry(AuditAction.DOMAIN_CLAIMED, "other"),
      entry(AuditAction.DOMAIN_CLAIMED, null, "bob"),
      entry(AuditAction.DOMAIN_REMOVED, domainId),
      entry(AuditAction.DOMAIN_CLAIMED, null, "carol"),
      entry(AuditAction.VERIFICATION_SUCCEEDED, domainId),
    ];
    const delivered = (fake: Fake) => fake.deliveries.table.all().map((d) => `${d.entryId}→${d.endpointId}`).sort();

    const one = await setUp();
    const alone = batchOf(one.domain.id);
    for (const e of alone) await one.fake.service.createDeliveries({} as never, [e]);

    const many = await setUp();
    const batch = batchOf(many.domain.id);
    const reads = jest.spyOn(many.fake.endpoints, "enabledOfAccounts");
    const inserts = jest.spyOn(many.fake.deliveries, "insert");
    const wakes = many.fake.wakes.count;
    await many.fake.service.createDeliveries({} as never, batch);

    expect(reads).toHaveBeenCalledTimes(1);
    expect(reads.mock.calls[0][1]).toEqual(["alice", "bob", "carol"]);
    expect(inserts).toHaveBeenCalledTimes(1);
    expect(many.fake.wakes.count).toBe(wakes + 1);
    // The same pairs as entry by entry, endpoint for endpoint.
    const rename = (text: string, from: { fake: Fake; entries: AuditEntry[]; endpoints: Record<string, WebhookEndpoint> }) => {
      let named = text;
      from.entries.forEach((e, i) => (named = named.replace(e.id, `entry${i}`)));
      for (const [name, endpoint] of Object.entries(from.endpoints)) named = named.replace(endpoint.id, name);
      return named;
    };
    const inBatch = delivered(many.fake).map((pair) => rename(pair, { ...many, entries: batch }));
    expect(inBatch.sort()).toEqual(delivered(one.fake).map((pair) => rename(pair, { ...one, entries: alone })).sort());
    expect(inBatch.sort()).toEqual(
      ["entry0→all", "entry1→bobs", "entry2→all", "entry2→removals", "entry2→ofDomain", "entry4→all", "entry4→ofDomain"].sort(),
    );
  });

  it("reads nothing for an empty batch", async () => {
    const fake = createFakeWebhookService();
    const reads = jest.spyOn(fake.endpoints, "enabledOfAccounts");
    await fake.service.createDeliveries({} as never, []);
    expect(reads).not.toHaveBeenCalled();
  });
});

describe("WebhookService.redeliver", () => {
  async function failedDelivery(fake: Fake) {
    const endpoint = await created(fake);
    await fake.service.createDeliveries({} as never, [entry(AuditAction.DOMAIN_CLAIMED)]);
    const [delivery] = fake.deliveries.table.all();
    fake.deliveries.table.change(delivery.id, { status: WebhookDeliveryStatus.FAILED, nextAttemptAt: null, attempts: 3 });
    return { endpoint, delivery };
  }

  it("queues a delivery again at once, audited, and wakes the worker", async () => {
    const fake = createFakeWebhookService();
    const { delivery } = await failedDelivery(fake);
    fake.clock.advance(60_000);
    const wakes = fake.wakes.count;
    expect(await fake.service.redeliver(ctx(), delivery.id)).toMatchObject({ ok: true, delivery: { id: delivery.id, status: WebhookDeliveryStatus.PENDING, attempts: 3 } });
    expect(fake.deliveries.table.get(delivery.id)).toMatchObject({ status: WebhookDeliveryStatus.PENDING, nextAttemptAt: fake.clock.now() });
    expect(fake.wakes.count).toBe(wakes + 1);
    expect(fake.audit.entries.at(-1)).toMatchObject({
      action: AuditAction.WEBHOOK_ENDPOINT_UPDATED,
      message: `Asked for delivery ${delivery.messageId} to https://hooks.example.com/in to be sent again.`,
    });
  });

  it("parks it while the endpoint is disabled, without waking the worker", async () => {
    const fake = createFakeWebhookService();
    const { endpoint, delivery } = await failedDelivery(fake);
    await fake.service.update(ctx(), { id: endpoint.id, enabled: false });
    const wakes = fake.wakes.count;
    await fake.service.redeliver(ctx(), delivery.id);
    expect(fake.deliveries.table.get(delivery.id)).toMatchObject({ status: WebhookDeliveryStatus.PENDING, nextAttemptAt: null });
    expect(fake.wakes.count).toBe(wakes);
  });

  it("answers another account's delivery, and one of an endpoint outside a scoped caller's domain, as not found", async () => {
    const fake = createFakeWebhookService();
    const { delivery } = await failedDelivery(fake);
    const scoped: Principal = { ...alice, userId: null, via: "api-key", scopedDomainId: "elsewhere" };
    for (const principal of [bob, scoped]) {
      expect(await fake.service.redeliver(ctx(principal), delivery.id)).toEqual({
        ok: false,
        error: { code: "NOT_FOUND", field: ["input", "deliveryId"], message: "No such webhook delivery in your account." },
      });
      expect(await fake.service.findDelivery(principal, delivery.id)).toBeNull();
    }
    expect(fake.deliveries.table.get(delivery.id)?.status).toBe(WebhookDeliveryStatus.FAILED);
    expect(await fake.service.findDelivery(alice, delivery.id)).toMatchObject({ id: delivery.id });
  });
});

describe("WebhookService.recordAttempt", () => {
  async function leased(fake: Fake) {
    const endpoint = await created(fake);
    await fake.service.createDeliveries({} as never, [entry(AuditAction.DOMAIN_CLAIMED)]);
    const { lease, deliveries } = await fake.deliveries.lease([{ accountId: "alice", endpointId: endpoint.id, count: 1 }], 60_000);
    return { endpoint, lease, delivery: deliveries[0] };
  }

  it("records a 2xx as DELIVERED and gives the lease up", async () => {
    const fake = createFakeWebhookService();
    const { delivery, lease } = await leased(fake);
    expect(await fake.service.recordAttempt(delivery, lease, { status: 204, error: null, durationMs: 5 }, fake.clock.now())).toBe(true);
    expect(fake.deliveries.table.get(delivery.id)).toMatchObject({ status: WebhookDeliveryStatus.DELIVERED, attempts: 1, deliveredAt: fake.clock.now(), leaseOwner: null });
  });

  it("schedules the first retry after a failure and marks the endpoint failing", async () => {
    const fake = createFakeWebhookService();
    const { endpoint, delivery, lease } = await leased(fake);
    expect(await fake.service.recordAttempt(delivery, lease, { status: 500, error: "HTTP 500", durationMs: 5 }, fake.clock.now())).toBe(true);
    expect(fake.deliveries.table.get(delivery.id)).toMatchObject({
      status: WebhookDeliveryStatus.PENDING,
      attempts: 1,
      nextAttemptAt: new Date(fake.clock.now().getTime() + 60_000),
      leaseOwner: null,
    });
    expect(fake.endpoints.table.get(endpoint.id)?.failingSince).toEqual(fake.clock.now());
  });

  it("disables the endpoint on a 410 Gone, parks its deliveries, and audits it as the system", async () => {
    const fake = createFakeWebhookService();
    const { endpoint, delivery, lease } = await leased(fake);
    await fake.service.createDeliveries({} as never, [entry(AuditAction.DOMAIN_CLAIMED)]);
    expect(await fake.service.recordAttempt(delivery, lease, { status: 410, error: "HTTP 410", durationMs: 5 }, fake.clock.now())).toBe(true);
    expect(fake.endpoints.table.get(endpoint.id)).toMatchObject({ enabled: false, disabledReason: expect.any(String) });
    expect(fake.deliveries.table.all((d) => d.status === WebhookDeliveryStatus.PENDING).map((d) => d.nextAttemptAt)).toEqual([null]);
    expect(fake.audit.entries.at(-1)).toMatchObject({ action: AuditAction.WEBHOOK_ENDPOINT_DISABLED, actor: { type: "SYSTEM" } });
  });

  it("records nothing once the lease was lost", async () => {
    const fake = createFakeWebhookService();
    const { endpoint, delivery } = await leased(fake);
    expect(await fake.service.recordAttempt(delivery, "someone-else", { status: 500, error: "HTTP 500", durationMs: 5 }, fake.clock.now())).toBe(false);
    expect(fake.deliveries.table.get(delivery.id)).toMatchObject({ attempts: 0, leaseOwner: delivery.leaseOwner });
    expect(fake.endpoints.table.get(endpoint.id)?.failingSince).toBeNull();
  });
});
