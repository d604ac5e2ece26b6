/**
 * A DomainVerifier that asks remote perspectives beside the local one. A new verification that
 * the local vantage points conclude VERIFIED also needs enough perspectives, in enough regions,
 * to have seen the token; short of that it is NOT_CORROBORATED and changes nothing. A re-check of
 * a VERIFIED claim records what they saw but keeps the local conclusion: perspectives that are
 * down must never start a grace period.
 */
import { recordHostOf } from "../verification/records";
import type { DnsAnswer, DomainVerifier, PerspectiveResult, VerificationCheckData, VerificationRequest } from "../verification/types";
import { checkStatus } from "../verification/dnssec";
import { classifyVantagePoint, decideOutcome, expectedRecords, majorityQuorum } from "../verification/verifier";
import { corroborationNote, decideCorroboration, notCorroboratedMessage, UNKNOWN_REGION, type CorroborationPolicy } from "./corroboration";
import type { PerspectiveClient, PerspectiveReply } from "./perspective-client";

export interface CorroborationOptions extends CorroborationPolicy {
  /** DNS_TIMEOUT_MS: perspectives are asked in parallel with the local lookups, within the same time. */
  timeoutMs: number;
  cnameZone: string;
  /** Metrics hook: each perspective's result, and the decision, once per verification. */
  onPerspective?: (result: PerspectiveResult, url: string) => void;
  onCorroboration?: (event: { met: boolean; recheck: boolean }) => void;
}

export function withCorroboration(local: DomainVerifier, perspectives: readonly PerspectiveClient[], options: CorroborationOptions): DomainVerifier {
  async function verify(request: VerificationRequest): Promise<VerificationCheckData> {
    // The host the claim's own token record lives at: the scope decides which.
    const host = recordHostOf(request);
    const asked = Promise.all(
      perspectives.map((perspective) =>
        perspective.lookUpRecordHost(request.name, host, options.timeoutMs).catch(
          (error: unknown): PerspectiveReply => ({ ok: false, name: perspective.url, region: UNKNOWN_REGION, reason: `unreadable answer (${String(error)})`, durationMs: 0 }),
        ),
      ),
    );
    const [check, replies] = await Promise.all([local.verify(request), asked]);
    const results = replies.map((reply) => perspectiveResult(reply, request, options.cnameZone));
    results.forEach((result, i) => safely(() => options.onPerspective?.(result, perspectives[i].url)));
    const { corroboration, met } = decideCorroboration(results, options);
    const recorded: VerificationCheckData = { ...check, perspectives: results, corroboration };
    if (check.outcome !== "VERIFIED") return recorded;
    safely(() => options.onCorroboration?.({ met, recheck: request.recheck === true }));
    if (met || request.recheck) return { ...recorded, message: `${check.message} ${corroborationNote(corroboration, met, results)}` };
    return { ...recorded, outcome: "NOT_CORROBORATED", method: null, message: notCorroboratedMessage(host, results, corroboration) };
  }

  return { verify };
}

/**
 * One perspective's answer as the check records it: its resolvers' answers classified as the
 * local ones are, FOUND when a majority of them carry the current token, with their DNSSEC
 * statuses combined as the local ones are.
 */
export function perspectiveResult(reply: PerspectiveReply, request: VerificationRequest, cnameZone: string): PerspectiveResult {
  const base = { name: reply.name, region: reply.region, durationMs: reply.durationMs };
  if (!reply.ok || reply.observations.length === 0) {
    return { ...base, answer: "ERROR", dnssec: "UNVALIDATED", corroborates: false, error: reply.ok ? "its answer held no lookups" : reply.reason };
  }
  const expected = expectedRecords(request, cnameZone);
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
