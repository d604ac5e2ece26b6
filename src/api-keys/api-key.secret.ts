import { createHash, randomBytes } from "node:crypto";

export const API_KEY_PREFIX = "dpk_";
const SECRET_PATTERN = /^dpk_[A-Za-z0-9_-]{43}$/;

/** A new secret: dpk_ and 256 random bits in base64url. Shown once; only its hash is stored. */
export function generateApiKeySecret(): { secret: string; hash: string; prefix: string } {
  const secret = `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { secret, hash: hashApiKeySecret(secret), prefix: secret.slice(0, API_KEY_PREFIX.length + 8) };
}

/** SHA-256 suffices: the secret is 256 random bits, so there is nothing for a slow hash to protect against. */
export function hashApiKeySecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function looksLikeApiKeySecret(token: string): boolean {
  return SECRET_PATTERN.test(token);
}
