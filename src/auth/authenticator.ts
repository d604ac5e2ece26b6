import { timingSafeEqual, createHash } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, JWTPayload, JWTVerifyGetKey } from "jose";
import type { Config } from "../config";
import type { Principal } from "./principal";
import { isAllowlistedAdmin } from "./admin-allowlist";

export type Authentication = { principal: Principal } | { principal: null; problem: string | null };

/** Extra ways in, registered by other features (API keys) without this file knowing them. */
export type BearerStrategy = (token: string) => Promise<Authentication | null>;

const NO_CREDENTIALS: Authentication = { principal: null, problem: null };

/**
 * Turns an Authorization header into a Principal. Algorithms are pinned: HS256 with
 * JWT_SECRET, RS256/ES256 from JWKS_URL; nothing else is ever accepted.
 */
export class Authenticator {
  private readonly secretKey?: Uint8Array;
  private readonly jwks?: JWTVerifyGetKey;
  private readonly strategies: BearerStrategy[] = [];

  constructor(private readonly auth: Config["auth"]) {
    if (auth.jwtSecret) this.secretKey = new TextEncoder().encode(auth.jwtSecret);
    if (auth.jwksUrl) this.jwks = createRemoteJWKSet(new URL(auth.jwksUrl), { cooldownDuration: 30_000 });
  }

  /** Strategies run before JWT parsing, in order; the first that recognizes the token decides. */
  use(strategy: BearerStrategy): void {
    this.strategies.push(strategy);
  }

  async authenticate(authorization: string | undefined): Promise<Authentication> {
    if (!authorization) return NO_CREDENTIALS;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return { principal: null, problem: "The Authorization header must be \"Bearer <token>\"." };
    const token = match[1];

    if (this.auth.adminSecret && sameSecret(token, this.auth.adminSecret)) {
      return {
        principal: { accountId: "admin", userId: null, email: null, isAdmin: true, via: "admin-secret" },
      };
    }
    for (const strategy of this.strategies) {
      const result = await strategy(token);
      if (result) return result;
    }
    return this.verifyJwt(token);
  }

  private async verifyJwt(token: string): Promise<Authentication> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return { principal: null, problem: "The bearer token is not a JWT." };
    }
    const options = { issuer: this.auth.jwtIssuer, audience: this.auth.jwtAudience, clockTolerance: 5 };
    let payload: JWTPayload;
    try {
      if (alg === "HS256" && this.secretKey) {
        ({ payload } = await jwtVerify(token, this.secretKey, { ...options, algorithms: ["HS256"] }));
      } else if (this.jwks && (alg === "RS256" || alg === "ES256")) {
        ({ payload } = await jwtVerify(token, this.jwks, { ...options, algorithms: ["RS256", "ES256"] }));
      } else {
        return { principal: null, problem: `Tokens signed with "${alg ?? "none"}" are not accepted.` };
      }
    } catch (error) {
      return { principal: null, problem: describeJwtError(error) };
    }
    if (typeof payload.sub !== "string" || payload.sub === "") {
      return { principal: null, problem: 'The token has no "sub" claim.' };
    }
    const accountId = typeof payload.account_id === "string" && payload.account_id !== "" ? payload.account_id : payload.sub;
    const email = typeof payload.email === "string" ? payload.email : null;
    // An address the identity provider itself marks unverified must not open admin fields.
    const trustedEmail = email && payload.email_verified !== false ? email.toLowerCase() : null;
    const isAdmin = isAllowlistedAdmin(this.auth, payload.sub, trustedEmail);
    const expiresAt = typeof payload.exp === "number" ? new Date(payload.exp * 1000) : null;
    return { principal: { accountId, userId: payload.sub, email, isAdmin, via: "jwt", expiresAt } };
  }
}

export function describeJwtError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "The token has expired; get a new one.";
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return "The token is not valid yet.";
    return `The token's "${error.claim}" claim is not accepted here.`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "The token's signature does not verify.";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "The token was signed with a key this server does not trust.";
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "The token's algorithm is not accepted.";
  return "The token could not be verified.";
}

/** Constant-time, whatever the lengths. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
