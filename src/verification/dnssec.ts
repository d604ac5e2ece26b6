/**
 * What DNSSEC says about an answer, a vantage point and a check, without any network.
 *
 * An AD bit means something only when the operator vouches that the resolver validates and is
 * reached over a path nobody can tamper with (DNS_RESOLVERS_VALIDATE); a DNSSEC Extended DNS
 * Error on a SERVFAIL means BOGUS either way, because the server itself says so.
 */
import { describeExtendedError, isDnssecFailure } from "./extended-errors";
import type { DnssecStatus, ExtendedDnsError, VerificationOutcome } from "./types";

/** DNSSEC_POLICY: `observe` records the status; `require-secure` verifies only SECURE answers. */
export const DNSSEC_POLICIES = ["observe", "require-secure"] as const;
export type DnssecPolicy = (typeof DNSSEC_POLICIES)[number];

export interface ReplyFacts {
  /** The rcode's name, e.g. NOERROR, NXDOMAIN, SERVFAIL. */
  rcode: string;
  /** The AD (authentic data) flag. */
  authenticData: boolean;
  extendedErrors: ExtendedDnsError[];
}

/** One reply's status; a query that got no reply is UNVALIDATED. */
export function replyStatus(reply: ReplyFacts | null, validating: boolean): DnssecStatus {
  if (!reply) return "UNVALIDATED";
  if (reply.rcode === "SERVFAIL" && reply.extendedErrors.some(isDnssecFailure)) return "BOGUS";
  if (!validating) return "UNVALIDATED";
  if (reply.rcode === "NOERROR" || reply.rcode === "NXDOMAIN") return reply.authenticData ? "SECURE" : "INSECURE";
  return "UNVALIDATED";
}

/** BOGUS if any is, SECURE only if all are, UNVALIDATED if any could not be judged, else INSECURE. */
export function combinedStatus(statuses: DnssecStatus[]): DnssecStatus {
  if (statuses.includes("BOGUS")) return "BOGUS";
  if (statuses.length === 0 || statuses.includes("UNVALIDATED")) return "UNVALIDATED";
  return statuses.every((status) => status === "SECURE") ? "SECURE" : "INSECURE";
}

/**
 * The check's status: BOGUS if any vantage point's answer was, even one that did not count;
 * otherwise the combination of the answers that counted (the conclusive ones).
 */
export function checkStatus(points: { dnssec: DnssecStatus; counted: boolean }[]): DnssecStatus {
  if (points.some((point) => point.dnssec === "BOGUS")) return "BOGUS";
  return combinedStatus(points.filter((point) => point.counted).map((point) => point.dnssec));
}

/**
 * The outcome once DNSSEC is taken into account. A BOGUS zone never verifies, whoever serves the
 * token: a forged answer is exactly what validation exists to catch.
 */
export function outcomeWithDnssec<T extends VerificationOutcome>(outcome: T, dnssec: DnssecStatus, policy: DnssecPolicy): T | "DNSSEC_BOGUS" | "DNSSEC_INSECURE" {
  if (dnssec === "BOGUS") return "DNSSEC_BOGUS";
  if (policy === "require-secure" && outcome === "VERIFIED" && dnssec !== "SECURE") return "DNSSEC_INSECURE";
  return outcome;
}

/** The DNSSEC Extended DNS Errors among `errors`, the first of each code. */
export function dnssecFailures(errors: ExtendedDnsError[]): ExtendedDnsError[] {
  const seen = new Set<number>();
  return errors.filter((error) => isDnssecFailure(error) && !seen.has(error.code) && seen.add(error.code));
}

export function bogusMessage(host: string, servers: string[], errors: ExtendedDnsError[]): string {
  const failures = dnssecFailures(errors);
  const why = failures.length > 0 ? failures.map(describeExtendedError).join("; ") : "the signatures do not validate";
  const where = servers.length > 0 ? ` at ${servers.join(", ")}` : "";
  return (
    `DNSSEC validation failed for ${host}${where}: ${why}. Nothing is concluded from a zone whose signatures do not validate, ` +
    `and waiting will not fix it: fix the DS record at the registrar so it matches a key the zone publishes, or re-sign the zone.`
  );
}

export function insecureMessage(host: string, dnssec: DnssecStatus): string {
  const why =
    dnssec === "INSECURE"
      ? "the zone is not signed with DNSSEC"
      : "no validating resolver vouched for the answer (DNS_RESOLVERS_VALIDATE is off, or the resolvers could not be asked)";
  return (
    `The record at ${host} was found, but ${why}, and this server verifies only DNSSEC-signed answers (DNSSEC_POLICY=require-secure): ` +
    `sign the zone and publish its DS record at the registrar.`
  );
}
