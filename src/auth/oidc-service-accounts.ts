import { createRemoteJWKSet, decodeJwt, jwtVerify, JWTPayload, JWTVerifyGetKey } from "jose";
import type { AdminOidcConfig } from "../shared/config";
import { comparableEmail, trustedEmailOf } from "./admin-allowlist";
import { BearerStrategy, claimedEmail, describeJwtError, identityTooLong } from "./authenticator";
import { OIDC_ACCOUNT_PREFIX } from "../shared/principal";

const DISCOVERY_TIMEOUT_MS = 5000;

/**
 * Admins by way of an OIDC issuer's service accounts (ADMIN_OIDC_*): a token whose "iss" is
 * the issuer is verified against the keys its discovery document names (RS256/ES256 only,
 * audience required). Listed service accounts, by "sub" or verified e-mail, are admins.
 * Any other account of that issuer is an ordinary caller in an account of its own
 * ("oidc:<sub>"), so it can never act in the account of a user with the same "sub".
 */
export function oidcServiceAccounts(config: AdminOidcConfig): BearerStrategy {
  let keys: Promise<JWTVerifyGetKey> | null = null;
  const issuerKeys = () => {
    // A failed discovery is not kept: the next token tries again.
    keys ??= discoverKeys(config.issuer).catch((error) => {
      keys = null;
      throw error;
    });
    return keys;
  };

  return async (token) => {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      return null;
    }
    if (issuer !== config.issuer) return null;

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await issuerKeys(), {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ["RS256", "ES256"],
        clockTolerance: 5,
        requiredClaims: ["exp"],
      }));
    } catch (error) {
      return { principal: null, problem: error instanceof DiscoveryError ? error.message : describeJwtError(error) };
    }
    if (typeof payload.sub !== "string" || payload.sub === "") {
      return { principal: null, problem: 'The token has no "sub" claim.' };
    }
    const accountId = `${OIDC_ACCOUNT_PREFIX}${payload.sub}`;
    const tooLong = identityTooLong(payload.sub, accountId);
    if (tooLong) return { principal: null, problem: tooLong };
    const email = claimedEmail(payload);
    const trustedEmail = email === null ? null : trustedEmailOf(payload);
    const isAdmin = config.serviceAccounts.some((entry) => entry === payload.sub || (trustedEmail !== null && comparableEmail(entry) === trustedEmail));
    // "exp" is required above: a subscription opened with this token closes then.
    const expiresAt = new Date((payload.exp as number) * 1000);
    return { principal: { accountId, userId: payload.sub, email, trustedEmail, isAdmin, via: "oidc", expiresAt } };
  };
}

class DiscoveryError extends Error {}

/** `<issuer>/.well-known/openid-configuration` → jwks_uri, with the issuer checked as OpenID Connect Discovery requires. */
async function discoverKeys(issuer: string): Promise<JWTVerifyGetKey> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  let document: { issuer?: unknown; jwks_uri?: unknown };
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    document = (await response.json()) as typeof document;
  } catch {
    throw new DiscoveryError("The admin identity provider's discovery document could not be fetched; try again shortly.");
  }
  if (document.issuer !== issuer || typeof document.jwks_uri !== "string") {
    throw new DiscoveryError("The admin identity provider's discovery document does not match ADMIN_OIDC_ISSUER.");
  }
  let jwksUri: URL;
  try {
    jwksUri = new URL(document.jwks_uri);
  } catch {
    throw new DiscoveryError("The admin identity provider's discovery document names no usable jwks_uri.");
  }
  // Keys over plain HTTP only where the issuer itself was allowed plain HTTP (loopback).
  if (jwksUri.protocol !== "https:" && new URL(issuer).protocol === "https:") {
    throw new DiscoveryError("The admin identity provider's jwks_uri must be https.");
  }
  return createRemoteJWKSet(jwksUri, { cooldownDuration: 30_000, timeoutDuration: DISCOVERY_TIMEOUT_MS });
}
