/**
 * The verifier's decisions, without any network: what each vantage point's TXT and CNAME answers
 * mean, whether enough of them agree, and what to tell the person who published the record.
 */
import { keptValue, keptValues } from "./evidence";
import {
  acceptedCnameTargets,
  publishableCnameTarget,
  expectedTxtValue,
  normalizeHostName,
  normalizeTxtValue,
  recordHostOf,
} from "./records";
import { fitsInDns } from "./names";
import { deriveHints, type ProbeObservations } from "./hints";
import { bogusMessage, checkStatus, combinedStatus, insecureMessage, outcomeWithDnssec, type DnssecPolicy } from "./dnssec";
import type {
  DnsAnswer,
  DnssecStatus,
  ExtendedDnsError,
  VantagePointResult,
  VerificationCheckData,
  VerificationMethod,
  VerificationOutcome,
  VerificationRequest,
} from "./types";

/** Why one query gave no records, as the DNS client read the reply (or its absence). */
export type QueryFailure = Exclude<DnsAnswer, "FOUND" | "OTHER_VALUES">;

export type QueryResult<T> = (
  | { ok: true; records: T[] }
  | { ok: false; failure: QueryFailure; /** the rcode's name or the client's own error code, for messages */ code: string }
) & {
  /** What DNSSEC said about this reply; UNVALIDATED when not given. */
  dnssec?: DnssecStatus;
  extendedErrors?: ExtendedDnsError[];
};

/** What one vantage point answered for the record host. */
export interface VantagePointObservation {
  server: string;
  /** Each TXT record as the chunks it was published in. */
  txt: QueryResult<string[]>;
  cname: QueryResult<string>;
  durationMs: number;
}

export type VantagePointKind = "resolver" | "nameserver";

export interface VerificationInput {
  request: VerificationRequest;
  cnameZone: string;
  quorum: number;
  vantagePointKind: VantagePointKind;
  timeoutMs: number;
  observations: VantagePointObservation[];
  /** Null when none were gathered, which is the case when the record verified. */
  probes: ProbeObservations | null;
  now: Date;
  /** DNSSEC_POLICY; observe by default. */
  dnssecPolicy?: DnssecPolicy;
  /**
   * In authoritative mode with DNS_RESOLVERS_VALIDATE: what the validating resolvers answered
   * for the record. The zone's own nameservers validate nothing, so these give the check's status.
   */
  validatedBy?: VantagePointObservation[] | null;
}

interface ClassifiedPoint extends VantagePointResult {
  txtValues: string[];
  cnameValues: string[];
  txtMatched: boolean;
  cnameMatched: boolean;
  /** The failing query's error code when the answer is inconclusive. */
  failureCode: string | null;
}

export interface Expected {
  host: string;
  txt: string;
  /** The CNAME target to advise: one that can be published. */
  cname: string;
  /** Every CNAME target that proves the claim. */
  cnameTargets: string[];
}

const DEFINITE_NEGATIVE: ReadonlySet<DnsAnswer> = new Set(["NXDOMAIN", "NODATA", "OTHER_VALUES"]);
const INCONCLUSIVE: ReadonlySet<DnsAnswer> = new Set(["TIMEOUT", "SERVFAIL", "REFUSED", "ERROR"]);

export function majorityQuorum(vantagePoints: number): number {
  return Math.floor(vantagePoints / 2) + 1;
}

export function expectedRecords(request: VerificationRequest, cnameZone: string): Expected {
  return {
    host: recordHostOf(request),
    txt: expectedTxtValue(request.token),
    cname: normalizeHostName(publishableCnameTarget(request.token, normalizeHostName(cnameZone))),
    cnameTargets: acceptedCnameTargets(request.token, cnameZone),
  };
}

/**
 * One vantage point's answer from its TXT and CNAME lookups. Our value in either settles it
 * (FOUND); otherwise a failed lookup leaves the point inconclusive, since the record could be
 * behind it; only two definite lookups make it a negative.
 */
export function classifyVantagePoint(observation: VantagePointObservation, expected: Expected): ClassifiedPoint {
  const txtValues = observation.txt.ok ? unique(observation.txt.records.map((chunks) => normalizeTxtValue(chunks))) : [];
  const cnameValues = observation.cname.ok ? unique(observation.cname.records.map(normalizeHostName)) : [];
  const txtMatched = txtValues.includes(expected.txt);
  const cnameMatched = cnameValues.some((value) => expected.cnameTargets.includes(value));
  const values = unique([...txtValues, ...cnameValues]);
  const base = {
    server: observation.server,
    values,
    durationMs: observation.durationMs,
    txtValues,
    cnameValues,
    txtMatched,
    cnameMatched,
    ...dnssecOf(observation, txtMatched, cnameMatched),
  };

  if (txtMatched || cnameMatched) return { ...base, answer: "FOUND", failureCode: null };
  for (const lookup of [observation.txt, observation.cname]) {
    if (!lookup.ok && INCONCLUSIVE.has(lookup.failure)) return { ...base, answer: lookup.failure, failureCode: lookup.code };
  }
  if (values.length > 0) return { ...base, answer: "OTHER_VALUES", failureCode: null };
  // A name cannot both exist and not exist; if either lookup saw the name, it exists.
  const bothNxdomain = [observation.txt, observation.cname].every((lookup) => !lookup.ok && lookup.failure === "NXDOMAIN");
  return { ...base, answer: bothNxdomain ? "NXDOMAIN" : "NODATA", failureCode: null };
}

/** A point's DNSSEC status: BOGUS if either lookup was; otherwise that of the lookup that matched, or of both. */
function dnssecOf(
  observation: VantagePointObservation,
  txtMatched: boolean,
  cnameMatched: boolean,
): { dnssec: DnssecStatus; extendedErrors: ExtendedDnsError[] } {
  const lookups = [observation.txt, observation.cname];
  const statusOf = (lookup: QueryResult<unknown>) => lookup.dnssec ?? "UNVALIDATED";
  const counted = txtMatched ? [observation.txt] : cnameMatched ? [observation.cname] : lookups;
  const dnssec = lookups.some((lookup) => statusOf(lookup) === "BOGUS") ? "BOGUS" : combinedStatus(counted.map(statusOf));
  const seen = new Set<string>();
  const extendedErrors = lookups
    .flatMap((lookup) => lookup.extendedErrors ?? [])
    .filter((error) => !seen.has(`${error.code} ${error.text}`) && seen.add(`${error.code} ${error.text}`));
  return { dnssec, extendedErrors };
}

/** The outcome once every vantage point has answered (or run out of time). */
export function decideOutcome(
  answers: DnsAnswer[],
  quorum: number,
): Exclude<VerificationOutcome, "VERIFIED_BY_ANOTHER_ACCOUNT" | "TOKEN_EXPIRED" | "NOT_CORROBORATED" | "DNSSEC_BOGUS" | "DNSSEC_INSECURE"> {
  if (answers.filter((answer) => answer === "FOUND").length >= quorum) return "VERIFIED";
  const negatives = answers.filter((answer) => DEFINITE_NEGATIVE.has(answer));
  if (negatives.length >= quorum) return negatives.includes("OTHER_VALUES") ? "VALUE_MISMATCH" : "RECORD_NOT_FOUND";
  return "DNS_ERROR";
}

/** Whether the vantage points still to answer could yet make it VERIFIED; once not, hint probes can start. */
export function canStillVerify(answered: DnsAnswer[], pending: number, quorum: number): boolean {
  return answered.filter((answer) => answer === "FOUND").length + pending >= quorum;
}

/**
 * The check's DNSSEC status, and the points that vouch for it: the vantage points themselves,
 * or in authoritative mode the validating resolvers asked beside them.
 */
function checkDnssec(points: ClassifiedPoint[], input: VerificationInput, expected: Expected): { dnssec: DnssecStatus; judges: ClassifiedPoint[] } {
  const validators = input.validatedBy?.map((observation) => classifyVantagePoint(observation, expected)) ?? null;
  const judges = validators ? [...points.filter((point) => point.dnssec === "BOGUS"), ...validators] : points;
  const counted = (point: ClassifiedPoint) => !INCONCLUSIVE.has(point.answer) && (!validators || validators.includes(point));
  return { dnssec: checkStatus(judges.map((point) => ({ dnssec: point.dnssec, counted: counted(point) }))), judges };
}

export function decideVerification(input: VerificationInput): VerificationCheckData {
  const expected = expectedRecords(input.request, input.cnameZone);
  const points = input.observations.map((observation) => classifyVantagePoint(observation, expected));
  const { dnssec, judges } = checkDnssec(points, input, expected);
  const outcome = outcomeWithDnssec(
    decideOutcome(
      points.map((point) => point.answer),
      input.quorum,
    ),
    dnssec,
    input.dnssecPolicy ?? "observe",
  );
  const found = points.filter((point) => point.answer === "FOUND");
  const method: VerificationMethod | null =
    outcome !== "VERIFIED"
      ? null
      : found.filter((point) => point.txtMatched).length >= found.filter((point) => point.cnameMatched).length
        ? "TXT"
        : "CNAME";

  const hints =
    outcome === "VERIFIED"
      ? []
      : deriveHints({
          request: input.request,
          cnameZone: input.cnameZone,
          outcome,
          atRecordHost: {
            txt: unique(points.flatMap((point) => point.txtValues)),
            cname: unique(points.flatMap((point) => point.cnameValues)),
          },
          probes: input.probes,
          extendedErrors: judges.flatMap((point) => point.extendedErrors),
          now: input.now,
        });
  return {
    outcome,
    method,
    checkedAt: input.now,
    message: messageFor(outcome, method, { points, judges, dnssec }, expected, input),
    foundValues: keptValues(unique(points.flatMap((point) => point.values))),
    hints,
    servers: points.map(({ server, answer, values, durationMs, dnssec, extendedErrors }) => ({
      server,
      answer,
      values: keptValues(values),
      durationMs,
      dnssec,
      extendedErrors: extendedErrors.map(keptExtendedError),
    })),
    dnssec,
  };
}

function messageFor(
  outcome: VerificationOutcome,
  method: VerificationMethod | null,
  seen: { points: ClassifiedPoint[]; judges: ClassifiedPoint[]; dnssec: DnssecStatus },
  expected: Expected,
  input: VerificationInput,
): string {
  if (outcome === "DNSSEC_INSECURE") return insecureMessage(expected.host, seen.dnssec);
  if (outcome !== "DNSSEC_BOGUS") return composeMessage(outcome, method, seen.points, expected, input);
  const bogus = seen.judges.filter((point) => point.dnssec === "BOGUS");
  return bogusMessage(expected.host, bogus.map((point) => point.server), bogus.flatMap((point) => point.extendedErrors));
}

/** EXTRA-TEXT comes from whoever runs the server, and every check is stored for good. */
function keptExtendedError(error: ExtendedDnsError): ExtendedDnsError {
  return { ...error, text: error.text === null ? null : keptValue(error.text, 200) };
}

/**
 * When the zone's nameservers cannot be found there is nobody to ask, so nothing is concluded;
 * unless the validating resolvers asked beside discovery (`validatedBy`) found the zone BOGUS,
 * which is why discovery failed and what the person must fix.
 */
export function discoveryFailure(request: VerificationRequest, reason: string, now: Date, validatedBy?: VantagePointObservation[] | null): VerificationCheckData {
  const host = recordHostOf(request);
  const validators = (validatedBy ?? []).map((observation) => dnssecOf(observation, false, false));
  const bogus = validators.flatMap((point, i) => (point.dnssec === "BOGUS" ? [{ ...point, server: validatedBy![i].server }] : []));
  const dnssec = bogus.length > 0 ? "BOGUS" : "UNVALIDATED";
  const extendedErrors = bogus.flatMap((point) => point.extendedErrors);
  return {
    outcome: bogus.length > 0 ? "DNSSEC_BOGUS" : "DNS_ERROR",
    method: null,
    checkedAt: now,
    message:
      bogus.length > 0
        ? bogusMessage(host, bogus.map((point) => point.server), extendedErrors)
        : `Nothing was concluded about ${host}: ${reason}; try again later.`,
    foundValues: [],
    hints: bogus.length > 0 ? deriveHints({ request, cnameZone: "", outcome: "DNSSEC_BOGUS", atRecordHost: { txt: [], cname: [] }, probes: null, extendedErrors, now }) : [],
    servers: [],
    dnssec,
  };
}

function composeMessage(
  outcome: VerificationOutcome,
  method: VerificationMethod | null,
  points: ClassifiedPoint[],
  expected: Expected,
  input: VerificationInput,
): string {
  const n = points.length;
  const noun = (count: number) => (count === 1 ? input.vantagePointKind : `${input.vantagePointKind}s`);
  const verb = (count: number, one: string, many: string) => (count === 1 ? one : many);
  const context: PhraseContext = { someFound: points.some((point) => point.answer === "FOUND"), timeoutMs: input.timeoutMs };
  const found = points.filter((point) => point.answer === "FOUND");
  const negatives = points.filter((point) => DEFINITE_NEGATIVE.has(point.answer));
  const rest = (group: ClassifiedPoint[]) => describeEach(points.filter((point) => !group.includes(point)), context);
  const cnamePossible = fitsInDns(expected.cname);
  const toPublish = `add a TXT record there with the value ${expected.txt}${cnamePossible ? ` (or a CNAME to ${expected.cname})` : ""}`;

  if (outcome === "VERIFIED") {
    const matchedCname = found.flatMap((point) => point.cnameValues).find((value) => expected.cnameTargets.includes(value));
    const record = method === "TXT" ? `the TXT record ${expected.txt}` : `the CNAME record to ${matchedCname ?? expected.cname}`;
    if (found.length === n) return `Verified: ${expected.host} has ${record}${n > 1 ? ` on all ${n} ${noun(n)}` : ""}.`;
    return (
      `Verified: ${found.length} of ${n} ${noun(n)} ${verb(found.length, "serves", "serve")} ${record} at ${expected.host}, ` +
      `and ${input.quorum} ${input.quorum === 1 ? "is" : "are"} enough; ${rest(found)}.`
    );
  }

  if (outcome === "RECORD_NOT_FOUND") {
    if (negatives.length === n) return `No TXT or CNAME record exists at ${expected.host} yet: ${toPublish}.`;
    const advice = context.someFound ? `it has not reached every ${input.vantagePointKind} yet, so try again shortly` : toPublish;
    const find = verb(negatives.length, "finds", "find");
    return `${negatives.length} of ${n} ${noun(n)} ${find} no TXT or CNAME record at ${expected.host} (${rest(negatives)}): ${advice}.`;
  }

  if (outcome === "VALUE_MISMATCH") {
    const wrong = negatives.filter((point) => point.answer === "OTHER_VALUES");
    const txtValues = unique(wrong.flatMap((point) => point.txtValues));
    const cnameValues = unique(wrong.flatMap((point) => point.cnameValues));
    const scope = negatives.length === n ? "" : ` (${negatives.length} of ${n} ${noun(n)}; ${rest(negatives)})`;
    const advice =
      cnameValues.length === 0
        ? `change the TXT value to exactly ${expected.txt}`
        : cnamePossible
          ? `point the CNAME to ${expected.cname}, or replace it with a TXT record of value ${expected.txt}`
          : `replace the CNAME with a TXT record of value ${expected.txt}`;
    return `${expected.host} has ${describeValues(txtValues, cnameValues)} but not the expected value${scope}: ${advice}.`;
  }

  const tally =
    found.length > 0
      ? `${found.length} of ${n} ${noun(n)} ${verb(found.length, "serves", "serve")} the record but ${rest(found)}`
      : negatives.length > 0
        ? `${negatives.length} of ${n} ${noun(n)} ${verb(negatives.length, "finds", "find")} no matching record but ${rest(negatives)}`
        : n === 1
          ? describeEach(points, context)
          : `none of the ${n} ${noun(n)} gave an answer (${describeEach(points, context)})`;
  const agreement = n > 1 ? `, and ${input.quorum === n ? `all ${n}` : `${input.quorum} of ${n}`} must agree` : "";
  const advice = context.someFound ? `try again once every ${input.vantagePointKind} has the latest copy of the zone` : "try again later";
  return `Nothing was concluded about ${expected.host}: ${tally}${agreement}; ${advice}.`;
}

interface PhraseContext {
  someFound: boolean;
  timeoutMs: number;
}

/** How a vantage point's answer reads after its name, for one server and for several. */
function phrase(point: ClassifiedPoint, context: PhraseContext): [one: string, many: string] {
  const lagging = (one: string, many: string): [string, string] => [
    `${one} (it may still serve an older copy of the zone)`,
    `${many} (they may still serve an older copy of the zone)`,
  ];
  const same = (text: string): [string, string] => [text, text];
  switch (point.answer) {
    case "FOUND":
      return ["serves it", "serve it"];
    case "NXDOMAIN":
    case "NODATA":
      return context.someFound ? lagging("does not have it yet", "do not have it yet") : ["has no such record", "have no such record"];
    case "OTHER_VALUES":
      return context.someFound ? lagging("serves another value", "serve other values") : ["serves another value", "serve other values"];
    case "TIMEOUT":
      return same(`did not answer within the ${context.timeoutMs} ms limit`);
    case "SERVFAIL":
      // The resolver's own reason, when it gave one (RFC 8914), tells a broken zone from a passing outage.
      return same(point.extendedErrors.length > 0 ? `answered SERVFAIL (${unique(point.extendedErrors.map((error) => error.name)).join(", ")})` : "answered SERVFAIL");
    case "REFUSED":
      return same("refused the query");
    case "ERROR":
      return same(`could not be asked (${point.failureCode ?? "unknown error"})`);
  }
}

/** "a does X, b and c do Y", keeping the vantage points' order. */
function describeEach(points: ClassifiedPoint[], context: PhraseContext): string {
  const groups = new Map<string, { servers: string[]; many: string }>();
  for (const point of points) {
    const [one, many] = phrase(point, context);
    const group = groups.get(one) ?? { servers: [], many };
    group.servers.push(point.server);
    groups.set(one, group);
  }
  return joinWords(
    [...groups].map(([one, group]) => `${joinWords(group.servers)} ${group.servers.length === 1 ? one : group.many}`),
  );
}

function describeValues(txtValues: string[], cnameValues: string[]): string {
  const parts: string[] = [];
  if (cnameValues.length > 0) parts.push(`a CNAME to ${joinWords(cnameValues)}`);
  if (txtValues.length > 0) {
    const shown = txtValues.slice(0, 3).map((value) => JSON.stringify(keptValue(value, 100)));
    if (txtValues.length > 3) shown.push(`${txtValues.length - 3} more`);
    parts.push(`the TXT ${txtValues.length === 1 ? "value" : "values"} ${joinWords(shown)}`);
  }
  return parts.join(" and ");
}

function joinWords(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
