/**
 * A DomainVerifier that asks remote perspectives beside the local one. A new verification that
 * the local vantage points conclude VERIFIED also needs enough perspectives, in enough regions,
 * to have seen the record that verified it; short of that it is NOT_CORROBORATED and changes
 * nothing. A re-check of a VERIFIED claim records what they saw but keeps the local conclusion:
 * perspectives that are down must never start a grace period.
 *
 * It wraps the persistent-record layer, never the reverse: a PERSISTENT verification is then
 * corroborated like a token one, and the persistent layer's own lookups (request.host set) are
 * the local resolvers' alone. The perspectives are asked about the token record host in parallel
 * with the local lookups; when a persistent record verified the claim instead, they are asked a
 * second time, about that record's host, within what is left of the time allowed.
 */
import { recordHostOf } from "../verification/records";
import type { DnsAnswer, DomainVerifier, PersistentRecordSeen, PerspectiveResult, VerificationCheckData, VerificationRequest } from "../verification/types";
import { checkStatus } from "../verification/dnssec";
import { classifyVantagePoint, decideOutcome, expectedRecords, majorityQuorum, type Expected } from "../verification/verifier";
import { corroborationNote, decideCorroboration, notCorroboratedMessage, UNKNOWN_REGION, type CorroborationPolicy } from "./corroboration";
import type { PerspectiveClient, PerspectiveReply } from "./perspective-client";

export interface CorroborationOptions extends CorroborationPolicy {
  /** DNS_TIMEOUT_MS: perspectives are asked in parallel with the local lookups, within the same time. */
  timeoutMs: number;
  cnameZone: string;
  /** Milliseconds from an arbitrary origin, to know what is left of timeoutMs for a second round; performance.now by default. */
  now?: () => number;
  /** Metrics hook: each perspective's result, and the decision, once per verification. */
  onPerspective?: (result: PerspectiveResult, url: string) => void;
  onCorroboration?: (event: { met: boolean; recheck: boolean }) => void;
}

/** The least a second round is given, as a share of timeoutMs: a slow first round must not doom it. */
export const SECOND_ROUND_MIN_SHARE = 0.25;

export function withCorroboration(local: DomainVerifier, perspectives: readonly PerspectiveClient[], options: CorroborationOptions): DomainVerifier {
  const now = options.now ?? (() => performance.now());
  const askAll = (name: string, host: string, timeoutMs: number): Promise<PerspectiveReply[]> =>
    Promise.all(
      perspectives.map((perspective) =>
        perspective.lookUpRecordHost(name, host, timeoutMs).catch(
          (error: unknown): PerspectiveReply => ({ ok: false, name: perspective.url, region: UNKNOWN_REGION, reason: `unreadable answer (${String(error)})`, durationMs: 0 }),
        ),
      ),
    );

  async function verify(request: VerificationRequest): Promise<VerificationCheckData> {
    // A lookup at a given host is part of another check (a persistent record's), corroborated as a whole.
    if (request.host) return local.verify(request);
    const started = now();
    // The host the claim's own token record lives at: the scope decides which.
    const host = recordHostOf(request);
    const [checked, replies] = await Promise.all([local.verify(request), askAll(request.name, host, options.timeoutMs)]);
    const { persistentRecord, ...check } = checked;
    if (check.outcome === "VERIFIED" && check.method === "PERSISTENT" && persistentRecord) {
      const left = Math.floor(Math.max(options.timeoutMs - (now() - started), options.timeoutMs * SECOND_ROUND_MIN_SHARE));
      const second = await askAll(request.name, persistentRecord.host, left);
      return settle(check, request, persistentRecord.host, second.map((reply) => judgeReply(reply, persistentExpectation(persistentRecord))));
    }
    // A PERSISTENT check that does not say which record it rests on is judged by the token record: it cannot be corroborated.
    return settle(check, request, host, replies.map((reply) => perspectiveResult(reply, request, options.cnameZone)));
  }

  function settle(check: VerificationCheckData, request: VerificationRequest, host: string, results: PerspectiveResult[]): VerificationCheckData {
    results.forEach((result, i) => safely(() => options.onPerspective?.(result, perspectives[i].url)));
    const recheck = request.recheck === true;
    const { check: decided, met } = decideCorroborated(check, host, results, recheck, options);
    if (check.outcome === "VERIFIED") safely(() => options.onCorroboration?.({ met, recheck }));
    return decided;
  }

  return { verify };
}
/**
 * The check as it stands once the perspectives have answered about `host`, where the record that
 * verified it locally lives. Pure: a local failure stays as it is, with the perspectives recorded;
 * a local VERIFIED needs the quorum, unless it is a re-check, which only records.
 */
export function decideCorroborated(
  check: VerificationCheckData,
  host: string,
  results: PerspectiveResult[],
  recheck: boolean,
  policy: CorroborationPolicy,
): { check: VerificationCheckData; met: boolean } {
  const { corroboration, met } = decideCorroboration(results, policy);
  const recorded: VerificationCheckData = { ...check, perspectives: results, corroboration };
  if (check.outcome !== "VERIFIED") return { check: recorded, met };
  if (met || recheck) return { check: { ...recorded, message: `${check.message} ${corroborationNote(corroboration, met, results)}` }, met };
  return { check: { ...recorded, outcome: "NOT_CORROBORATED", method: null, message: notCorroboratedMessage(host, results, corroboration) }, met };
}

/** One perspective's answer about the claim's token record host, as the check records it. */
export function perspectiveResult(reply: PerspectiveReply, request: VerificationRequest, cnameZone: string): PerspectiveResult {
  return judgeReply(reply, expectedRecords(request, cnameZone));
}

/** What a perspective must see to corroborate a persistent record: the same TXT value at the same host; no CNAME stands for it. */
export function persistentExpectation(record: PersistentRecordSeen): Expected {
  return { host: record.host, txt: record.value, cname: "", cnameTargets: [] };
}

/**
 * One perspective's answer as the check records it: its resolvers' answers classified as the
 * local ones are, FOUND when a majority of them carry the expected record, with their DNSSEC
 * statuses combined as the local ones are.
 */
export function judgeReply(reply: PerspectiveReply, expected: Expected): PerspectiveResult {
  const base = { name: reply.name, region: reply.region, durationMs: reply.durationMs };
  if (!reply.ok || reply.observations.length === 0) {
    return { ...base, answer: "ERROR", dnssec: "UNVALIDATED", corroborates: false, error: reply.ok ? "its answer held no lookups" : reply.reason };
  }
  const points = reply.observations.map((observation) => classifyVantagePoint(observation, expected));
  const answers = points.map((point) => point.answer);
  const outcome = decideOutcome(answers, majorityQuorum(answers.length));
  const answer = ANSWER_OF[outcome].find((candidate) => answers.includes(candidate)) ?? answers[0];
  // The rule of the check's own status: BOGUS if any resolver said so, SECURE only if every conclusive answer was.
  const dnssec = checkStatus(points.map((point) => ({ dnssec: point.dnssec, counted: !ANSWER_OF.DNS_ERROR.includes(point.answer) })));
  return { ...base, answer, dnssec, corroborates: outcome === "VERIFIED" && dnssec !== "BOGUS", error: null };
}

/** The answers that stand for a perspective's outcome, the first one its resolvers gave. */
const ANSWER_OF: Record<ReturnType<typeof decideOutcome>, DnsAnswer[]> = {
  VERIFIED: ["FOUND"],
  RECORD_NOT_FOUND: ["NXDOMAIN", "NODATA"],
  VALUE_MISMATCH: ["OTHER_VALUES"],
  DNS_ERROR: ["TIMEOUT", "SERVFAIL", "REFUSED", "ERROR"],
};

function safely(hook: () => void): void {
  try {
    hook();
  } catch {
    // A failing metrics hook must not turn a finished verification into an error.
  }
}
