/**
 * Hints name the mistake that was actually found by looking: each comes from a record seen at the
 * record host or at a probed host where people commonly put it by accident, never from a guess.
 */
import { getDomain } from "tldts";
import {
  TXT_PREFIX,
  VERIFICATION_LABEL,
  acceptedCnameTargets,
  publishableCnameTarget,
  expectedTxtValue,
  normalizeHostName,
  otherScopeHost,
  recordHostOf,
} from "./records";
import { fitsInDns } from "./names";
import type { ExtendedDnsError, VerificationOutcome, VerificationRequest } from "./types";

/** Values seen at one host, normalized like the record host's, across every vantage point. */
export interface HostValues {
  txt: string[];
  cname: string[];
}

/** What one vantage point said about caching the record host's absence (RFC 2308). */
export interface NegativeCachingObservation {
  server: string;
  /** The zone apex, from the SOA in the negative answer's authority section. */
  zone: string;
  /** The SOA record's own TTL, when the apex SOA could be read. */
  soaTtl: number | null;
  soaMinimum: number;
  /** TTL on the negative answer: how long this server keeps (or a cache will keep) answering "no such record". */
  secondsLeft: number;
}

export interface ProbeObservations {
  /** Keyed by the probed host names of `planProbes`. */
  hosts: Record<string, HostValues>;
  negativeCaching: NegativeCachingObservation[];
}

export interface ProbePlan {
  /** `_dnsproof-verify.<name>.<registrable domain>`: a panel that appends its zone to a full name. */
  zoneTwice: string | null;
  /** The claimed name itself, where the TXT record lands when the name field is left empty. */
  domain: string;
  /**
   * Near misses of the record's label, and last the other scope's record host (`otherScope`):
   * probed the same way, so the network adapter needs to know nothing about scopes.
   */
  wrongPrefixes: string[];
  /** `_dnsproof-subtree.<name>` for an EXACT claim, `_dnsproof-verify.<name>` for a SUBTREE one. */
  otherScope: string;
}

const WRONG_PREFIXES = ["dnsproof-verify", "_dnsproof", "_dnsproof-verification", "_dnsproof_verify"];

/** The hosts to probe for a claim of `name` whose record belongs at `recordHost` (its scope's). */
export function planProbes(name: string, recordHost: string = recordHostOf({ name })): ProbePlan {
  const registrable = registrableDomain(name);
  const otherScope = otherScopeHost(recordHost, name);
  return {
    zoneTwice: registrable ? `${recordHost}.${registrable}` : null,
    domain: name,
    wrongPrefixes: [...WRONG_PREFIXES.map((prefix) => `${prefix}.${name}`), otherScope],
    otherScope,
  };
}

/** What to type in a DNS panel's name field for the zone of the registrable domain. */
export function panelName(name: string, recordHost: string = recordHostOf({ name })): string {
  const label = recordHost.slice(0, -(name.length + 1)) || VERIFICATION_LABEL;
  const registrable = registrableDomain(name);
  if (!registrable || registrable === name) return label;
  return `${label}.${name.slice(0, -(registrable.length + 1))}`;
}

function registrableDomain(name: string): string | null {
  return getDomain(name, { allowPrivateDomains: true });
}

export interface HintInput {
  request: VerificationRequest;
  cnameZone: string;
  outcome: VerificationOutcome;
  /** Values at the record host across vantage points (normalized); none of them is this claim's. */
  atRecordHost: HostValues;
  probes: ProbeObservations | null;
  /** Extended DNS Errors the servers attached to their answers. */
  extendedErrors?: ExtendedDnsError[];
  now: Date;
}

/** The claim's expected records, as the hints name them. */
interface Expected {
  host: string;
  cnameZone: string;
  txt: string;
  cname: string;
  accepted: string[];
  /** What to type in a DNS panel's name field. */
  nameField: string;
  /** How to fix a CNAME that is not the expected one. */
  fixCname: string;
}

export function deriveHints(input: HintInput): string[] {
  const { request } = input;
  const cnameZone = normalizeHostName(input.cnameZone);
  const txt = expectedTxtValue(request.token);
  const cname = normalizeHostName(publishableCnameTarget(request.token, cnameZone));
  const useTxtInstead = `delete it and add the TXT record ${txt}`;
  const host = recordHostOf(request);
  const expected: Expected = {
    host,
    cnameZone,
    txt,
    cname,
    accepted: acceptedCnameTargets(request.token, cnameZone),
    nameField: panelName(request.name, host),
    fixCname: fitsInDns(cname) ? `point it to ${cname}, or ${useTxtInstead}` : useTxtInstead,
  };
  return [...dnssecHints(input, expected), ...txtHints(input, expected), ...cnameHints(input, expected), ...probeHints(input, expected)];
}

/** What to do about a DNSSEC failure, where the Extended DNS Error says which one it is (RFC 8914 §4). */
const DNSSEC_ADVICE: Readonly<Record<number, (zone: string) => string>> = {
  1: (zone) =>
    `The zone of ${zone} is signed with a DNSKEY algorithm the validating resolver does not support: re-sign it with a current algorithm (13, ECDSA P-256 SHA-256, or 8, RSA SHA-256) and replace the DS record at the registrar.`,
  2: (zone) =>
    `The DS record for the zone of ${zone} uses a digest type the validating resolver does not support: publish a DS with digest type 2 (SHA-256) at the registrar.`,
  7: (zone) =>
    `The DNSSEC signatures of the zone of ${zone} have expired: re-sign the zone, and check that whatever signs it (the DNS host or your signer) runs on schedule.`,
  8: (zone) =>
    `The DNSSEC signatures of the zone of ${zone} are not valid yet: check the signer's clock, then re-sign the zone.`,
  9: (zone) =>
    `The DS record at the registrar names a DNSKEY the zone of ${zone} does not publish (often after a DNS host change or a key rollover): replace the DS at the registrar with one for the zone's current key, or remove it to turn DNSSEC off.`,
  10: (zone) =>
    `The zone of ${zone} serves records without DNSSEC signatures although its parent says it is signed: re-sign the zone, or remove the DS record at the registrar.`,
};

function dnssecHints({ extendedErrors }: HintInput, { host }: Expected): string[] {
  const codes = new Set((extendedErrors ?? []).map((error) => error.code));
  return [...codes].flatMap((code) => (DNSSEC_ADVICE[code] ? [DNSSEC_ADVICE[code](host)] : []));
}

/** TXT values at the record host that are near misses: an old token, the bare token, a copy that lost its case or spaces. */
function txtHints({ request, atRecordHost }: HintInput, { host, txt }: Expected): string[] {
  const hints: string[] = [];
  for (const value of atRecordHost.txt) {
    if (value === txt) continue;
    if (request.previousTokens.some((old) => value === expectedTxtValue(old) || value === old)) {
      hints.push(
        `The TXT record at ${host} carries a previous token of this claim (the token was regenerated since): replace ${JSON.stringify(value)} with ${txt}.`,
      );
    } else if (squash(value) === request.token) {
      hints.push(`The TXT record at ${host} holds the bare token: its value must start with the prefix, ${txt}.`);
    } else if (squash(value) === squash(txt)) {
      hints.push(
        `The TXT value at ${host} differs from ${txt} only in letter case, spaces or quotes; it is compared exactly, so copy it as shown.`,
      );
    }
  }
  return hints;
}

/** CNAMEs at the record host that are not an accepted target: an old token's, one the panel appended the zone to, or another. */
function cnameHints({ request, atRecordHost }: HintInput, { host, cnameZone, cname, accepted, fixCname }: Expected): string[] {
  const hints: string[] = [];
  for (const target of atRecordHost.cname) {
    if (accepted.includes(target)) continue;
    if (request.previousTokens.some((old) => acceptedCnameTargets(old, cnameZone).includes(target))) {
      hints.push(`The CNAME at ${host} points to a previous token of this claim (the token was regenerated since): ${fixCname}.`);
    } else if (target.startsWith(`${cname}.`)) {
      hints.push(
        `The CNAME at ${host} points to ${target}: your DNS panel appended ${target.slice(cname.length + 1)} to the target, so enter it with a trailing dot: ${cname}.`,
      );
    } else {
      hints.push(
        `${host} is a CNAME to ${target}, which hides any TXT record there (a CNAME excludes every other record at its name) and is not the expected target: ` +
          `${fixCname}.`,
      );
    }
  }
  return hints;
}

/** What the probes found elsewhere: the record at the wrong name, or a negative answer resolvers still remember. */
function probeHints({ request, probes, outcome, now }: HintInput, { host, cnameZone, nameField }: Expected): string[] {
  if (!probes) return [];
  const hints: string[] = [];
  const plan = planProbes(request.name, host);
  const relevant = (values: HostValues | undefined) =>
    [...(values?.txt ?? []), ...(values?.cname ?? [])].filter((value) => carriesVerification(value, request, cnameZone));

  if (plan.zoneTwice && relevant(probes.hosts[plan.zoneTwice]).length > 0) {
    const appended = plan.zoneTwice.slice(host.length + 1);
    hints.push(
      `The record is published at ${plan.zoneTwice} because your DNS panel appends ${appended} to the name you enter: type only ${nameField} in the name field.`,
    );
  }
  const atDomain = (probes.hosts[plan.domain]?.txt ?? []).filter((value) => carriesVerification(value, request, cnameZone));
  if (atDomain.length > 0) {
    hints.push(
      `The TXT record ${JSON.stringify(atDomain[0])} is published at ${plan.domain} itself, but it belongs at ${host}: enter ${nameField} in the name field.`,
    );
  }
  for (const wrongHost of plan.wrongPrefixes) {
    if (relevant(probes.hosts[wrongHost]).length === 0) continue;
    if (wrongHost === plan.otherScope) {
      hints.push(otherScopeHint(request, host, wrongHost));
    } else {
      hints.push(`The record is published at ${wrongHost}, but it must be at ${host}: enter ${nameField} in the name field.`);
    }
  }
  if (outcome === "RECORD_NOT_FOUND" && probes.negativeCaching.length > 0) {
    hints.push(negativeCachingHint(host, probes.negativeCaching, now));
  }
  return hints;
}

/** A record at the other scope's host never counts: a grant for the whole tree must be asked for by its own name. */
function otherScopeHint(request: VerificationRequest, host: string, wrongHost: string): string {
  const subtree = request.scope === "SUBTREE";
  const covers = subtree ? "the name alone (an EXACT claim)" : "the whole tree under the name (a SUBTREE claim)";
  const claim = subtree ? "a SUBTREE claim" : "an EXACT claim";
  return (
    `The record is published at ${wrongHost}, which only verifies ${covers}; this is ${claim}, whose record must be at ${host}: ` +
    `publish it there, or remove this claim and claim the name again with scope ${subtree ? "EXACT" : "SUBTREE"}.`
  );
}

/**
 * RFC 2308 §3 and §5: resolvers keep a negative answer for min(SOA TTL, SOA MINIMUM). The retry instant
 * uses the longest TTL any vantage point still has on its negative answer, after which none of
 * them can repeat it.
 */
function negativeCachingHint(host: string, observations: NegativeCachingObservation[], now: Date): string {
  const longest = observations.reduce((a, b) => (b.secondsLeft > a.secondsLeft ? b : a));
  const { zone, soaTtl, soaMinimum } = longest;
  const seconds = soaTtl === null ? soaMinimum : Math.min(soaTtl, soaMinimum);
  const basis =
    soaTtl === null
      ? `the MINIMUM field ${soaMinimum} of the ${zone} SOA record`
      : `the lesser of the ${zone} SOA record's TTL ${soaTtl} and its MINIMUM field ${soaMinimum}`;
  const retryAt = new Date(now.getTime() + longest.secondsLeft * 1000).toISOString();
  return (
    `Resolvers remember that ${host} does not exist for up to ${seconds} seconds (RFC 2308: ${basis}), ` +
    `so once it is published a retry through a caching resolver can first succeed at ${retryAt}.`
  );
}

/** Whether a value at a probed host is plausibly someone's attempt at this claim's record. */
function carriesVerification(value: string, request: VerificationRequest, cnameZone: string): boolean {
  const lower = value.toLowerCase();
  return (
    lower.includes(TXT_PREFIX) ||
    lower.includes(cnameZone) ||
    [request.token, ...request.previousTokens].some((token) => lower.includes(token))
  );
}

/** A value as it reads when case, whitespace and quotes are not counted. */
function squash(value: string): string {
  return value.replace(/[\s"']/g, "").toLowerCase();
}
