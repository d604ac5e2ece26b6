import type { DomainScope } from "../shared/domain-scope";
/**
 * Plain data shapes of a verification. The lists are the one source of each set of names: the
 * TypeScript types come from them here, the GraphQL enums in verification-check.type.ts too.
 */

/** What one vantage point (a resolver, or a zone nameserver) said about the record host. */
export const DNS_ANSWERS = ["FOUND", "OTHER_VALUES", "NXDOMAIN", "NODATA", "TIMEOUT", "SERVFAIL", "REFUSED", "ERROR"] as const;
export type DnsAnswer = (typeof DNS_ANSWERS)[number];

export const VERIFICATION_OUTCOMES = [
  "VERIFIED",
  "RECORD_NOT_FOUND",
  "VALUE_MISMATCH",
  "DNS_ERROR",
  "VERIFIED_BY_ANOTHER_ACCOUNT",
  "TOKEN_EXPIRED",
  "DNSSEC_BOGUS",
  "DNSSEC_INSECURE",
  "NOT_CORROBORATED",
] as const;
export type VerificationOutcome = (typeof VERIFICATION_OUTCOMES)[number];

/** What DNSSEC says about an answer; see dnssec.ts for when each applies. */
export const DNSSEC_STATUSES = ["SECURE", "INSECURE", "BOGUS", "UNVALIDATED"] as const;
export type DnssecStatus = (typeof DNSSEC_STATUSES)[number];

/** An Extended DNS Error (RFC 8914) a server attached to its answer. */
export interface ExtendedDnsError {
  /** The INFO-CODE. */
  code: number;
  /** The code's name in the IANA registry. */
  name: string;
  /** The EXTRA-TEXT, if the server sent one. */
  text: string | null;
}

export const VERIFICATION_METHODS = ["TXT", "CNAME", "PERSISTENT", "INHERITED"] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

/** What one remote perspective saw of the record host, or why it could not be counted. */
export interface PerspectiveResult {
  name: string;
  region: string;
  answer: DnsAnswer;
  dnssec: DnssecStatus;
  /** True when it saw the claim's current token. */
  corroborates: boolean;
  /** Why it could not be counted (unreachable, bad signature, stale or replayed answer); null when it answered. */
  error: string | null;
  durationMs: number;
}

/** Multi-perspective corroboration of a check (CA/Browser Forum Baseline Requirements 3.2.2.9). */
export interface Corroboration {
  asked: number;
  corroborating: number;
  required: number;
  /** Distinct regions among the corroborating perspectives, sorted. */
  regions: string[];
  requiredRegions: number;
}

export interface VantagePointResult {
  /** e.g. "127.0.0.1:5353" or "ns1.example.com (192.0.2.1)" */
  server: string;
  answer: DnsAnswer;
  /** TXT strings (chunks joined, normalized) and CNAME targets (normalized) this vantage point returned. */
  values: string[];
  durationMs: number;
  dnssec: DnssecStatus;
  extendedErrors: ExtendedDnsError[];
}

export interface VerificationCheckData {
  outcome: VerificationOutcome;
  method: VerificationMethod | null;
  checkedAt: Date;
  message: string;
  /** Union of the values found at the record host across vantage points, in first-seen order. */
  foundValues: string[];
  hints: string[];
  servers: VantagePointResult[];
  /** BOGUS if any answer was, SECURE only if every answer that counted was. */
  dnssec: DnssecStatus;
  /** Remote perspectives' results; absent or empty when none are configured. */
  perspectives?: PerspectiveResult[];
  /** Absent or null when no remote perspectives are configured. */
  corroboration?: Corroboration | null;
  /**
   * Internal, not in the GraphQL schema: the persistent record a PERSISTENT check rests on, so that
   * remote perspectives can be asked about that very record; the corroborating verifier consumes it.
   */
  persistentRecord?: PersistentRecordSeen;
}

/** Where a persistent record that verified a claim was found, and its value as the vantage points returned it. */
export interface PersistentRecordSeen {
  host: string;
  value: string;
}

export interface VerificationRequest {
  /** ASCII lower-case domain name without trailing dot, e.g. api.example.com */
  name: string;
  /** The claim's current token (64 lower-case hex characters). */
  token: string;
  /** Tokens this claim had before, newest first; a record carrying one gets a hint. */
  previousTokens: string[];
  /** Set for the re-check of a VERIFIED claim: remote perspectives are asked and recorded, but cannot hold the outcome back. */
  recheck?: boolean;
  /** SUBTREE looks at `_dnsproof-subtree.<name>`; EXACT (or none) at `_dnsproof-verify.<name>`. */
  scope?: DomainScope;
  /** The claiming account: its persistent records (`_dnsproof-persist.<name>`) verify the claim too. */
  accountId?: string;
  /** Look at this host instead of the scope's (a persistent record's lookup); no token is expected there. */
  host?: string;
  /** False: gather no hint probes (a lookup whose hints would be about another record). */
  hints?: boolean;
}

/** Looks the claim's record up and decides; never throws for DNS trouble (that is DNS_ERROR). */
export interface DomainVerifier {
  verify(request: VerificationRequest): Promise<VerificationCheckData>;
}
