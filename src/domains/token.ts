import { randomBytes } from "node:crypto";

/** How many replaced tokens a claim remembers, so a check can tell someone their record still holds an old one. */
const REMEMBERED_TOKENS = 5;

/** 256 bits from the CSPRNG, as 64 lower-case hex characters. */
export function generateToken(): string {
  return randomBytes(32).toString("hex");
}

/** A token's window opening at `now`: what a new claim, a new token and a holder revoked for a new owner get. */
export function tokenWindow(now: Date, ttlMs: number): { tokenIssuedAt: Date; tokenExpiresAt: Date } {
  return { tokenIssuedAt: now, tokenExpiresAt: new Date(now.getTime() + ttlMs) };
}

/** A new token and its window; the token it replaces, if any, joins the remembered ones. */
export function freshToken(now: Date, ttlMs: number, replacing?: { token: string; previousTokens: string[] }) {
  return {
    token: generateToken(),
    previousTokens: replacing ? [replacing.token, ...replacing.previousTokens].slice(0, REMEMBERED_TOKENS) : [],
    ...tokenWindow(now, ttlMs),
  };
}
