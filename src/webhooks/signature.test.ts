import { Webhook } from "standardwebhooks";
import { generateWebhookSecret, signWebhook, webhookHeaders } from "./signature";

describe("Standard Webhooks signatures", () => {
  it("makes secrets of whsec_ and 32 random bytes in base64", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it("signs exactly as the reference library does, and the library verifies it", () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ type: "DOMAIN_CLAIMED", timestamp: "2026-12-01T00:00:00.000Z", data: { message: "ünïcode ✓" } });
    const timestamp = Math.floor(Date.now() / 1000);
    const reference = new Webhook(secret);
    expect(signWebhook(secret, "msg_1", timestamp, body)).toBe(reference.sign("msg_1", new Date(timestamp * 1000), body));
    expect(reference.verify(body, webhookHeaders([secret], "msg_1", timestamp, body))).toEqual(JSON.parse(body));
  });

  it("carries one signature per secret during a rotation, and each secret verifies on its own", () => {
    const [current, previous] = [generateWebhookSecret(), generateWebhookSecret()];
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders([current, previous], "msg_2", timestamp, "{}");
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(() => new Webhook(current).verify("{}", headers)).not.toThrow();
    expect(() => new Webhook(previous).verify("{}", headers)).not.toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify("{}", headers)).toThrow();
    expect(() => new Webhook(current).verify("{ }", headers)).toThrow();
  });
});
