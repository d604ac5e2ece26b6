/**
 * The channel between the primary and its perspectives, authenticated both ways with one shared
 * secret: the primary presents it as a bearer token, and the perspective signs each answer with
 * HMAC-SHA256 over the request's nonce, a timestamp and the body's exact bytes. A proxy that
 * alters the bytes, an answer for another request, or an old one replayed later is refused.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { QueryResult } from "../verification/verifier";
import type { DnssecStatus } from "../verification/types";

export const LOOKUP_PATH = "/v1/lookups";
export const SIGNATURE_HEADER = "x-dnsproof-signature";
export const TIMESTAMP_HEADER = "x-dnsproof-timestamp";
export const NONCE_HEADER = "x-dnsproof-nonce";
/** An answer signed longer ago (or further ahead, for clock skew) than this is stale. */
export const MAX_ANSWER_AGE_MS = 30_000;

export const LOOKUP_TYPES = ["TXT", "CNAME"] as const;
export type LookupType = (typeof LOOKUP_TYPES)[number];

/** What the primary asks: lookups of hosts that belong to verifying `name`. */
export interface LookupRequest {
  /** The claimed domain name; every host asked must be its record host or one of its hint probes. */
  name: string;
  lookups: { host: string; type: LookupType }[];
  /** Fresh per request; the signed answer must carry it. */
  nonce: string;
  /** The primary's remaining budget; the perspective answers within the lesser of it and its own DNS_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** One lookup at one of the perspective's resolvers, with the same result shape the local engine produces. */
export interface LookupObservation {
  server: string;
  host: string;
  type: LookupType;
  result: QueryResult<string[]> | QueryResult<string>;
  dnssec: DnssecStatus;
  durationMs: number;
}

export interface LookupAnswer {
  perspective: { name: string; region: string };
  nonce: string;
  observations: LookupObservation[];
}

export function newNonce(): string {
  return randomBytes(16).toString("hex");
}

export function signAnswer(secret: string, nonce: string, timestamp: number, body: Buffer): string {
  const mac = createHmac("sha256", secret);
  mac.update(`v1.${nonce}.${timestamp}.`);
  mac.update(body);
  return `v1=${mac.digest("hex")}`;
}

/** Constant-time comparison of two strings, false for different lengths. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export type AnswerCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether an answer's headers vouch for its exact bytes, for the request that carried `nonce`,
 * signed within MAX_ANSWER_AGE_MS of `nowMs`.
 */
export function checkAnswer(
  secret: string,
  nonce: string,
  headers: { get(name: string): string | null },
  body: Buffer,
  nowMs: number,
): AnswerCheck {
  const signature = headers.get(SIGNATURE_HEADER);
  const timestampText = headers.get(TIMESTAMP_HEADER);
  if (!signature || !timestampText) return { ok: false, reason: "unsigned answer: no signature or timestamp header" };
  const echoed = headers.get(NONCE_HEADER);
  if (echoed !== nonce) return { ok: false, reason: "replayed answer: it was signed for another request's nonce" };
  const timestamp = Number(timestampText);
  if (!Number.isInteger(timestamp)) return { ok: false, reason: "unsigned answer: the timestamp is not a number" };
  if (!sameSecret(signature, signAnswer(secret, nonce, timestamp, body))) {
    return { ok: false, reason: "bad signature: the answer's bytes were not signed with the shared secret" };
  }
  const ageMs = nowMs - timestamp * 1000;
  if (Math.abs(ageMs) > MAX_ANSWER_AGE_MS) {
    return { ok: false, reason: `stale answer: signed ${Math.round(ageMs / 1000)} s from now, more than ${MAX_ANSWER_AGE_MS / 1000} s away` };
  }
  return { ok: true };
}
