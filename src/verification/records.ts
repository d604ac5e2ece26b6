import { DEFAULT_CNAME_ZONE } from "../shared/config";
/**
 * The DNS records that prove control of a name, as the contract fixes them.
 * Shared by the domain service (to show them) and the verifier (to look for them).
 */
export const VERIFICATION_LABEL = "_dnsproof-verify";
export const TXT_PREFIX = "dnsproof-verification=";

/** `_dnsproof-verify.<name>`: where both the TXT and the CNAME record live. */
export function verificationHost(name: string): string {
  return `${VERIFICATION_LABEL}.${name}`;
}

export function expectedTxtValue(token: string): string {
  return `${TXT_PREFIX}${token}`;
}

/** The contract's CNAME target, `<token>.<zone>`. */
export function expectedCnameTarget(token: string, cnameZone: string = DEFAULT_CNAME_ZONE): string {
  return `${token}.${cnameZone}`;
}

const MAX_LABEL_OCTETS = 63;

/**
 * The CNAME target a DNS panel will actually accept. A 64-character token is one octet over
 * the 63 a DNS label may hold, so the contract's form cannot be published; the token then
 * goes in two labels of 32, `<first half>.<second half>.<zone>`, which is accepted as well.
 */
export function publishableCnameTarget(token: string, cnameZone: string = DEFAULT_CNAME_ZONE): string {
  if (token.length <= MAX_LABEL_OCTETS) return expectedCnameTarget(token, cnameZone);
  const half = Math.ceil(token.length / 2);
  return `${token.slice(0, half)}.${token.slice(half)}.${cnameZone}`;
}

/** Every CNAME target that proves control for `token`: the contract's form and the publishable one. */
export function acceptedCnameTargets(token: string, cnameZone: string = DEFAULT_CNAME_ZONE): string[] {
  const zone = normalizeHostName(cnameZone);
  return [...new Set([expectedCnameTarget(token, zone), publishableCnameTarget(token, zone)])];
}

/**
 * A TXT value as a person meant it: chunks joined, surrounding whitespace and
 * one pair of literal quotes dropped (panels that quote for you, plus quotes typed by hand).
 */
export function normalizeTxtValue(chunks: string[] | string): string {
  let value = (Array.isArray(chunks) ? chunks.join("") : chunks).trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1).trim();
  }
  return value;
}

/** CNAME targets compare case-insensitively and without the trailing dot. */
export function normalizeHostName(host: string): string {
  return host.trim().replace(/\.$/, "").toLowerCase();
}

/** Whether values found at the record host include the record of the claim holding `token`. */
export function valuesCarryToken(values: string[], token: string, cnameZone: string = DEFAULT_CNAME_ZONE): boolean {
  const txt = expectedTxtValue(token);
  const cnames = acceptedCnameTargets(token, cnameZone);
  return values.some((v) => v === txt || cnames.includes(normalizeHostName(v)));
}

export { DEFAULT_CNAME_ZONE };
