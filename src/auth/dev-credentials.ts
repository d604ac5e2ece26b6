import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import type { Config } from "../shared/config";

export const DEV_SUBJECT = { sub: "dev-user", account_id: "dev-account", email: "dev@example.com" };

/**
 * Outside production with no JWT_SECRET: a secret kept in a file beside the SQLite
 * database, so the printed token (and the one in a browser's GraphiQL) survives restarts.
 */
export function loadOrCreateDevSecret(file: string): string {
  try {
    const existing = fs.readFileSync(file, "utf8").trim();
    if (existing.length >= 32) return existing;
  } catch {
    // Not there yet.
  }
  const secret = randomBytes(32).toString("hex");
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, secret + "\n", { mode: 0o600 });
  return secret;
}

/**
 * The secret HS256 tokens are signed and checked with: JWT_SECRET, or outside production
 * without a JWKS a development secret. Null when tokens come only from an identity provider.
 */
export function resolveJwtSecret(config: Config): { secret: string; development: boolean } | null {
  if (config.auth.jwtSecret) return { secret: config.auth.jwtSecret, development: false };
  if (config.auth.jwksUrl || config.env === "production") return null;
  return { secret: loadOrCreateDevSecret(config.auth.devSecretFile), development: true };
}

/** An HS256 token for `claims`, valid for `ttlSeconds`. Also used by the `dnsproof token` command. */
export async function mintToken(
  secret: string,
  claims: { sub: string; account_id?: string; email?: string } & Record<string, unknown>,
  ttlSeconds = 30 * 24 * 3600,
  options: { issuer?: string; audience?: string } = {},
): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt().setExpirationTime(`${Math.round(ttlSeconds)}s`);
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
