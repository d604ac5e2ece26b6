/**
 * Extended DNS Errors (RFC 8914): the EDNS option a resolver uses to say why it answered as it
 * did. The names are those of the IANA "Extended DNS Error Codes" registry.
 */
import type { ExtendedDnsError } from "./types";

/** The EDNS option code of an Extended DNS Error. */
export const EDE_OPTION_CODE = 15;

const NAMES: Readonly<Record<number, string>> = {
  0: "Other Error",
  1: "Unsupported DNSKEY Algorithm",
  2: "Unsupported DS Digest Type",
  3: "Stale Answer",
  4: "Forged Answer",
  5: "DNSSEC Indeterminate",
  6: "DNSSEC Bogus",
  7: "Signature Expired",
  8: "Signature Not Yet Valid",
  9: "DNSKEY Missing",
  10: "RRSIGs Missing",
  11: "No Zone Key Bit Set",
  12: "NSEC Missing",
  13: "Cached Error",
  14: "Not Ready",
  15: "Blocked",
  16: "Censored",
  17: "Filtered",
  18: "Prohibited",
  19: "Stale NXDomain Answer",
  20: "Not Authoritative",
  21: "Not Supported",
  22: "No Reachable Authority",
  23: "Network Error",
  24: "Invalid Data",
  25: "Signature Expired before Valid",
  26: "Too Early",
  27: "Unsupported NSEC3 Iterations Value",
  28: "Unable to conform to policy",
  29: "Synthesized",
  30: "Invalid Query Type",
};

/**
 * The codes that report a DNSSEC validation failure: 1 to 12 except 3 (a stale answer) and
 * 4 (an answer the resolver's own policy forged), which say nothing about the zone's signatures.
 */
const DNSSEC_FAILURE_CODES: ReadonlySet<number> = new Set([1, 2, 5, 6, 7, 8, 9, 10, 11, 12]);

export function extendedErrorName(code: number): string {
  return NAMES[code] ?? `Unassigned (${code})`;
}

export function isDnssecFailure(error: ExtendedDnsError): boolean {
  return DNSSEC_FAILURE_CODES.has(error.code);
}

/** Reads one option's data: a 16-bit INFO-CODE, then EXTRA-TEXT in UTF-8 (often NUL-terminated by servers). */
export function decodeExtendedError(data: Buffer): ExtendedDnsError | null {
  if (data.length < 2) return null;
  const code = data.readUInt16BE(0);
  const text = data.subarray(2).toString("utf8").replace(/\0+$/, "").trim();
  return { code, name: extendedErrorName(code), text: text.length > 0 ? text : null };
}

/** "DNSKEY Missing (9): <text>", as messages quote it. */
export function describeExtendedError(error: ExtendedDnsError): string {
  return `${error.name} (Extended DNS Error ${error.code})${error.text ? `: ${error.text}` : ""}`;
}
