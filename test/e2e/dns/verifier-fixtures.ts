import { randomBytes } from "node:crypto";
import { ManualClock } from "../../../src/shared/clock";
import { createDomainVerifier, type DomainVerifierOptions } from "../../../src/verification/client";
import { DEFAULT_CNAME_ZONE, expectedCnameTarget, expectedTxtValue, publishableCnameTarget, verificationHost } from "../../../src/verification/records";

export const CLOCK_START = "2026-11-22T10:00:00.000Z";

export function newToken(): string {
  return randomBytes(32).toString("hex");
}

/**
 * DNS labels hold at most 63 octets (RFC 1035 §2.3.4), so a 64-character token cannot be the first
 * label of a CNAME target; CNAME tests publish a claim with a shorter token instead.
 */
export function newLabelSizedToken(): string {
  return newToken().slice(0, 32);
}

/** A claim on a fresh name under `zone`, so tests sharing one bind9 never see each other's records. */
export function newClaim(zone = "acme.test", token = newToken()) {
  const name = `c${randomBytes(4).toString("hex")}.${zone}`;
  return {
    name,
    token,
    host: verificationHost(name),
    txt: expectedTxtValue(token),
    cname: expectedCnameTarget(token, DEFAULT_CNAME_ZONE),
    publishableCname: publishableCnameTarget(token, DEFAULT_CNAME_ZONE),
    request: { name, token, previousTokens: [] as string[] },
  };
}

export function verifierFor(servers: string[], overrides: Partial<DomainVerifierOptions> = {}) {
  return createDomainVerifier({
    servers,
    timeoutMs: 2000,
    mode: "recursive",
    authoritativePort: 53,
    cnameZone: DEFAULT_CNAME_ZONE,
    clock: new ManualClock(CLOCK_START),
    ...overrides,
  });
}
