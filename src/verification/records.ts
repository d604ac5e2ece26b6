import { DEFAULT_CNAME_ZONE } from "../shared/config";
import { DomainScope } from "../shared/domain-scope";
/**
 * The DNS records that prove control of a name, as the contract fixes them.
 * Shared by the domain service (to show them) and the verifier (to look for them).
 */
export const VERIFICATION_LABEL = "_dnsproof-verify";
/**
 * A SUBTREE claim's record has a name of its own, as draft-ietf-dnsop-domain-verification-techniques
 * recommends over a scope attribute: a grant for a whole tree is then always explicit, and a
 * record published for one name can never be read as one for the tree, nor the reverse.
 */
export const SUBTREE_LABEL = "_dnsproof-subtree";
export const TXT_PREFIX = "dnsproof-verification=";

/** `_dnsproof-verify.<name>`: where both the TXT and the CNAME record of an EXACT claim live. */
export function verificationHost(name: string): string {
  return `${VERIFICATION_LABEL}.${name}`;
}

/** `_dnsproof-subtree.<name>`: where a SUBTREE claim's TXT or CNAME record lives. */
export function subtreeHost(name: string): string {
  return `${SUBTREE_LABEL}.${name}`;
}

/** The record host of a claim of `name` with `scope` (EXACT when omitted). */
export function recordHostOf(request: { name: string; scope?: DomainScope | null; host?: string }): string {
  if (request.host) return request.host;
  return request.scope === DomainScope.SUBTREE ? subtreeHost(request.name) : verificationHost(request.name);
}

/** The host a claim of the other scope would use: where a record published for the wrong scope lands. */
export function otherScopeHost(recordHost: string, name: string): string {
  return recordHost === subtreeHost(name) ? verificationHost(name) : subtreeHost(name);
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
