/**
 * The DNS records that prove control of a name, as the contract fixes them.
 * Shared by the domain service (to show them) and the verifier (to look for them).
 */
export const VERIFICATION_LABEL = "_dnsproof-verify";
export const TXT_PREFIX = "dnsproof-verification=";
export const DEFAULT_CNAME_ZONE = "verify.dnsproof.dev";

/** `_dnsproof-verify.<name>`: where both the TXT and the CNAME record live. */
export function verificationHost(name: string): string {
  return `${VERIFICATION_LABEL}.${name}`;
}

export function expectedTxtValue(token: string): string {
  return `${TXT_PREFIX}${token}`;
}

export function expectedCnameTarget(token: string, cnameZone: string = DEFAULT_CNAME_ZONE): string {
  return `${token}.${cnameZone}`;
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
  const cname = expectedCnameTarget(token, cnameZone);
  return values.some((v) => v === txt || normalizeHostName(v) === cname);
}
