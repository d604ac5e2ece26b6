import { KeyObject, createHash, createSecretKey, timingSafeEqual } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, JWTPayload, JWTVerifyGetKey } from "jose";
import type { Config } from "../shared/config";
import { ADMIN_SECRET_ACCOUNT, type Authentication } from "../shared/principal";

export type { Authentication };
import { isAllowlistedAdmin, trustedEmailOf } from "./admin-allowlist";
import { MAX_ACCOUNT_ID_LENGTH, isReservedAccountId } from "../shared/principal";


/** Extra ways in, registered by other features (API keys) without this file knowing them. */
export type BearerStrategy = (token: string) => Promise<Authentication | null>;

/** Decides what a client certificate (DER) presented over mutual TLS is worth (src/credentials). */
export type CertificateStrategy = (der: Uint8Array) => Promise<Authentication>;

const NO_CREDENTIALS: Authentication = { principal: null, problem: null };

/** Tokens whose verification is remembered, and for how long at most: a frontend sends one token with every request. */
const VERIFIED_TOKENS = 10_000;
const VERIFIED_FOR_MS = 60_000;
/** The leeway jose gives "exp" and "nbf" here, in seconds. */
const CLOCK_TOLERANCE_S = 5;

/**
 * JWTs that verified, by their exact text, so that the same token sent again is not checked
 * again (its signature, for HS256, was about 4 % of a claim's CPU). An entry counts
 * only while the token's "exp" still holds and for a minute at most, which is less than jose
 * keeps a JWKS key it has fetched; a token that fails is never remembered.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { authentication: Authentication; expiresAtS: number; until: number }>();

  get(token: string): Authentication | null {
    const entry = this.entries.get(token);
    if (!entry) return null;
    const now = Date.now();
    if (entry.until > now && entry.expiresAtS > now / 1000 - CLOCK_TOLERANCE_S) return entry.authentication;
    this.entries.delete(token);
    return null;
  }

  set(token: string, authentication: Authentication, expiresAtS: number): void {
    if (this.entries.size >= VERIFIED_TOKENS) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { authentication, expiresAtS, until: Date.now() + VERIFIED_FOR_MS });
  }
}

/**
 * Turns an Authorization header into a Principal. Algorithms are pinned: HS256 with
 * JWT_SECRET, RS256/ES256 from JWKS_URL; nothing else is ever accepted.
 */
export class Authenticator {
  /** A KeyObject made once: given bytes, jose would make one for every token it checks. */
  private readonly secretKey?: KeyObject;
  private readonly jwks?: JWTVerifyGetKey;
  private readonly strategies: BearerStrategy[] = [];
  private certificateStrategy?: CertificateStrategy;
  private readonly verified = new VerifiedTokens();

  constructor(private readonly auth: Config["auth"]) {
    if (auth.jwtSecret) this.secretKey = createSecretKey(Buffer.from(auth.jwtSecret, "utf8"));
    if (auth.jwksUrl) this.jwks = createRemoteJWKSet(new URL(auth.jwksUrl), { cooldownDuration: 30_000 });
  }

  /** Strategies run before JWT parsing, in order; the first that recognizes the token decides. */
  use(strategy: BearerStrategy): void {
    this.strategies.push(strategy);
  }

  useCertificates(strategy: CertificateStrategy): void {
    this.certificateStrategy = strategy;
  }

  /** A bearer token, when sent, decides; otherwise a client certificate the request presented does. */
  async authenticate(authorization: string | undefined, clientCertificate?: Uint8Array | null): Promise<Authentication> {
    if (!authorization) return clientCertificate && this.certificateStrategy ? this.certificateStrategy(clientCertificate) : NO_CREDENTIALS;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return { principal: null, problem: "The Authorization header must be \"Bearer <token>\"." };
    const token = match[1];

    if (this.auth.adminSecret && sameSecret(token, this.auth.adminSecret)) {
      return {
        principal: { accountId: ADMIN_SECRET_ACCOUNT, userId: null, email: null, trustedEmail: null, isAdmin: true, via: "admin-secret", expiresAt: null },
      };
    }
    for (const strategy of this.strategies) {
      const result = await strategy(token);
      if (result) return result;
    }
    return this.verifyJwt(token);
  }

  private async verifyJwt(token: string): Promise<Authentication> {
    const known = this.verified.get(token);
    if (known) return known;
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return { principal: null, problem: "The bearer token is not a JWT." };
    }
    // A token without "exp" would be good forever once leaked; the contract says exp is honoured.
    const options = { issuer: this.auth.jwtIssuer, audience: this.auth.jwtAudience, clockTolerance: CLOCK_TOLERANCE_S, requiredClaims: ["exp"] };
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
    const tooLong = identityTooLong(payload.sub, accountId);
    if (tooLong) return { principal: null, problem: tooLong };
    if (isReservedAccountId(accountId)) {
      return { principal: null, problem: `The token names account "${accountId.slice(0, 64)}", which is reserved; tokens cannot act in it.` };
    }
    const email = claimedEmail(payload);
    // Only an address the identity provider vouches for may open admin fields.
    const trustedEmail = email === null ? null : trustedEmailOf(payload);
    const isAdmin = isAllowlistedAdmin(this.auth, payload.sub, trustedEmail);
    // "exp" is required above, so it is a number here.
    const exp = payload.exp as number;
    // Frozen, as the same object now answers every request that sends this token.
    const principal = Object.freeze({ accountId, userId: payload.sub, email, trustedEmail, isAdmin, via: "jwt" as const, expiresAt: new Date(exp * 1000) });
    const authentication: Authentication = Object.freeze({ principal });
    this.verified.set(token, authentication, exp);
    return authentication;
  }
}

export function describeJwtError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "The token has expired; get a new one.";
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return "The token is not valid yet.";
    if (error.claim === "exp" && error.reason === "missing") return 'The token has no "exp" claim; only tokens that expire are accepted.';
    return `The token's "${error.claim}" claim is not accepted here.`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "The token's signature does not verify.";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "The token was signed with a key this server does not trust.";
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "The token's algorithm is not accepted.";
  return "The token could not be verified.";
}

/** The widest actor e-mail column (varchar(320), RFC 3696's longest address). */
export const MAX_EMAIL_LENGTH = 320;

/**
 * Why a token's "sub" or account cannot be used here, or null: both are stored (the account
 * id, the actor's id) in columns of MAX_ACCOUNT_ID_LENGTH, so a longer one is refused like any
 * other unusable token instead of failing the first write it reaches.
 */
export function identityTooLong(sub: string, accountId: string): string | null {
  if (sub.length > MAX_ACCOUNT_ID_LENGTH) return `The token's "sub" claim is longer than ${MAX_ACCOUNT_ID_LENGTH} characters.`;
  if (accountId.length > MAX_ACCOUNT_ID_LENGTH) return `The token's account id is longer than ${MAX_ACCOUNT_ID_LENGTH} characters.`;
  return null;
}

/** The "email" claim when it fits where actors are recorded; a longer one is no address anyone uses, so it is ignored. */
export function claimedEmail(payload: JWTPayload): string | null {
  return typeof payload.email === "string" && payload.email.length <= MAX_EMAIL_LENGTH ? payload.email : null;
}

/** Constant-time, whatever the lengths. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

declare module "../graphql/feature-module" {
  interface FeatureHooks {
    /** Ways in by bearer token that a feature adds (API keys), tried before JWTs. */
    bearerStrategies?: BearerStrategy[];
    /** What a client certificate is worth, from the feature that issues them. */
    certificateStrategy?: CertificateStrategy;
  }
}
