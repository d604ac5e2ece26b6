import { AuditEntry } from "../../src/audit/audit-entry.entity";
import { Account } from "../../src/accounts/account.entity";
import { Domain } from "../../src/domains/domain.entity";
import { ApiKey } from "../../src/api-keys/api-key.entity";
import { Certificate } from "../../src/credentials/certificates/certificate.entity";
import { WebhookEndpoint } from "../../src/webhooks/webhook-endpoint.entity";
import { WebhookDelivery } from "../../src/webhooks/webhook-delivery.entity";
import { MAX_URL_LENGTH } from "../../src/webhooks/webhook-url";
import { MAX_EMAIL_LENGTH } from "../../src/auth/authenticator";
import { MAX_ACCOUNT_ID_LENGTH } from "../../src/shared/principal";
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

/**
 * Lengths are judged on what is stored, after normalisation, and against the columns that keep
 * it: a URL that percent-encoding makes longer than its column, a token whose "sub" or account
 * does not fit an account id, an e-mail claim wider than the actor column, and an account-id
 * argument longer than any id. Each is a client error, never a 500 from the database.
 */
const CREATE = `mutation($url: String!) { createWebhookEndpoint(input: { url: $url }) { webhookEndpoint { id url } userErrors { code field message } } }`;
const UPDATE = `mutation($id: ID!, $url: String!) { updateWebhookEndpoint(input: { id: $id, url: $url }) { webhookEndpoint { url } userErrors { code field message } } }`;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id } userErrors { code } } }`;
const ACTORS = `{ auditLog(first: 5) { nodes { action actor { type id email } } } }`;

describe.each(DATABASE_FLAVORS)("input lengths on %s", (db) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ db, env: { WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_WORKER_ENABLED: "false", ADMIN_USER_IDS: "lengths-admin" } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("has every column these bounds protect exactly as wide as the bound", () => {
    const width = (entity: Function, column: string) => Number(t.app.dataSource.getMetadata(entity).findColumnWithPropertyName(column)!.length);
    for (const [entity, column] of [[Account, "id"], [Domain, "accountId"], [AuditEntry, "accountId"], [AuditEntry, "actorId"], [ApiKey, "accountId"], [ApiKey, "createdBy"], [Certificate, "accountId"], [WebhookEndpoint, "accountId"], [WebhookDelivery, "accountId"]] as const) {
      expect([entity.name, column, width(entity, column)]).toEqual([entity.name, column, MAX_ACCOUNT_ID_LENGTH]);
    }
    expect(width(AuditEntry, "actorEmail")).toBe(MAX_EMAIL_LENGTH);
    expect(width(ApiKey, "createdByEmail")).toBe(MAX_EMAIL_LENGTH);
    expect(width(WebhookEndpoint, "url")).toBe(MAX_URL_LENGTH);
  });

  it("refuses a URL that percent-encoding makes longer than its column, on create and on update, and keeps one that fits", async () => {
    const base = "http://127.0.0.1:9/";
    // 1,022 characters sent, about 6,000 once each "é" becomes %C3%A9.
    const swelling = base + "é".repeat(1022 - base.length);
    expect(swelling.length).toBe(1022);
    const refused = await t.gql(CREATE, { url: swelling });
    expect(refused.status).toBe(200);
    expect(refused.body.data.createWebhookEndpoint).toEqual({
      webhookEndpoint: null,
      userErrors: [{ code: "INVALID_URL", field: ["input", "url"], message: expect.stringContaining("once normalised") }],
    });

    // Exactly as long as the column once normalised: stored and read back unchanged.
    const fits = base + "é".repeat(Math.floor((MAX_URL_LENGTH - base.length) / 6)) + "x".repeat((MAX_URL_LENGTH - base.length) % 6);
    const stored = new URL(fits).href;
    expect(stored.length).toBe(MAX_URL_LENGTH);
    const created = (await t.gql(CREATE, { url: fits })).body.data.createWebhookEndpoint;
    expect(created.userErrors).toEqual([]);
    expect(created.webhookEndpoint.url).toBe(stored);

    const update = await t.gql(UPDATE, { id: created.webhookEndpoint.id, url: `${fits}é` });
    expect(update.status).toBe(200);
    expect(update.body.data.updateWebhookEndpoint).toEqual({ webhookEndpoint: null, userErrors: [{ code: "INVALID_URL", field: ["input", "url"], message: expect.stringContaining("once normalised") }] });
  });

  it("refuses a token whose sub or account id is longer than an account id, as any unusable token (401 UNAUTHENTICATED)", async () => {
    for (const token of [await t.token("s".repeat(300)), await t.token("short-sub", { account_id: "a".repeat(MAX_ACCOUNT_ID_LENGTH + 1) })]) {
      const result = await t.gql(CLAIM, { name: "lengths-refused.example.com" }, { token });
      expect(result.status).toBe(401);
      expect(result.body.errors).toEqual([expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" }, message: expect.stringMatching(/longer than 191 characters/) })]);
    }
  });

  it("lets a sub exactly as long as an account id claim, write and read", async () => {
    const token = await t.token("w".repeat(MAX_ACCOUNT_ID_LENGTH));
    const result = await t.gql(CLAIM, { name: "lengths-widest.example.com" }, { token });
    expect(result.status).toBe(200);
    expect(result.body.data.claimDomain.userErrors).toEqual([]);
    const actors = (await t.gql(ACTORS, {}, { token })).body.data.auditLog.nodes;
    expect(actors[0]).toMatchObject({ action: "DOMAIN_CLAIMED", actor: { type: "USER", id: "w".repeat(MAX_ACCOUNT_ID_LENGTH) } });
  });

  it("ignores an e-mail claim wider than the actor column instead of failing the write", async () => {
    const token = await t.token("lengths-email", { email: `${"m".repeat(400)}@example.com`, email_verified: true });
    const result = await t.gql(CLAIM, { name: "lengths-email.example.com" }, { token });
    expect(result.status).toBe(200);
    expect(result.body.data.claimDomain.userErrors).toEqual([]);
    const actors = (await t.gql(ACTORS, {}, { token })).body.data.auditLog.nodes;
    expect(actors[0]).toMatchObject({ action: "DOMAIN_CLAIMED", actor: { type: "USER", id: "lengths-email", email: null } });
  });

  it("answers BAD_USER_INPUT for an account-id argument longer than any account id", async () => {
    const admin = await t.token("lengths-admin");
    const query = `query($a: ID) { adminDomains(accountId: $a) { totalCount } }`;
    const refused = await t.gql(query, { a: "x".repeat(MAX_ACCOUNT_ID_LENGTH + 1) }, { token: admin });
    expect(refused.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "BAD_USER_INPUT" }) })]);
    expect((await t.gql(query, { a: "x".repeat(MAX_ACCOUNT_ID_LENGTH) }, { token: admin })).body).toEqual({ data: { adminDomains: { totalCount: 0 } } });
  });
});
