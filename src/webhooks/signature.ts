import { createHmac, randomBytes } from "node:crypto";

/** Standard Webhooks secrets: whsec_ and the base64 of the key bytes (32 here; the specification asks for 24 to 64). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.replace(/^whsec_/, ""), "base64");
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, as the Standard Webhooks specification defines it. */
export function signWebhook(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const signature = createHmac("sha256", keyOf(secret)).update(`${messageId}.${timestampSeconds}.${body}`).digest("base64");
  return `v1,${signature}`;
}

/** The three headers of one attempt; several secrets (during a rotation) give several space-separated signatures. */
export function webhookHeaders(secrets: string[], messageId: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": secrets.map((secret) => signWebhook(secret, messageId, timestampSeconds, body)).join(" "),
  };
}
