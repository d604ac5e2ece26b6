/**
 * The primary's side of one remote perspective: asks it over HTTP(S) with the bearer token,
 * refuses any answer whose signature does not vouch for it, and turns what it saw into the
 * vantage-point observation the pure verifier classifies, as it does its own resolvers'.
 */
import { keptValue } from "../verification/evidence";
import { DNSSEC_STATUSES } from "../verification/types";
import type { QueryResult, VantagePointObservation } from "../verification/verifier";
import { checkAnswer, LOOKUP_PATH, newNonce, type LookupAnswer, type LookupObservation } from "./channel";
import { UNKNOWN_REGION } from "./corroboration";

/** One perspective's answer for a record host: per resolver it used, the TXT and CNAME results. */
export type PerspectiveReply =
  | { ok: true; name: string; region: string; observations: VantagePointObservation[]; durationMs: number }
  | { ok: false; name: string; region: string; reason: string; durationMs: number };

export interface PerspectiveClient {
  url: string;
  lookUpRecordHost(name: string, host: string, timeoutMs: number): Promise<PerspectiveReply>;
}

export interface PerspectiveClientOptions {
  secret: string;
  /** Milliseconds since the epoch, for the staleness check; the system clock by default. */
  now?: () => number;
}

export function createPerspectiveClient(url: string, options: PerspectiveClientOptions): PerspectiveClient {
  const endpoint = `${url.replace(/\/+$/, "")}${LOOKUP_PATH}`;
  // Known once it has answered in a way we could trust; until then it is named by its URL.
  let identity = { name: new URL(url).host, region: UNKNOWN_REGION };

  async function lookUpRecordHost(name: string, host: string, timeoutMs: number): Promise<PerspectiveReply> {
    const started = performance.now();
    const failed = (reason: string): PerspectiveReply => ({ ok: false, ...identity, reason, durationMs: Math.round(performance.now() - started) });
    const nonce = newNonce();
    let response: Response;
    let body: Buffer;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers: { authorization: `Bearer ${options.secret}`, "content-type": "application/json" },
        body: JSON.stringify({ name, nonce, timeoutMs: Math.max(1, Math.floor(timeoutMs)), lookups: [{ host, type: "TXT" }, { host, type: "CNAME" }] }),
        signal: AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs))),
        redirect: "error",
      });
      body = await readCapped(response, MAX_ANSWER_BYTES);
    } catch (error) {
      return failed(error instanceof AnswerTooLarge ? error.message : `unreachable (${describeFetchError(error)})`);
    }
    if (response.status !== 200) return failed(`unreachable (HTTP ${response.status})`);
    const check = checkAnswer(options.secret, nonce, response.headers, body, (options.now ?? Date.now)());
    if (!check.ok) return failed(check.reason);
    let answer: LookupAnswer;
    try {
      answer = JSON.parse(body.toString("utf8")) as LookupAnswer;
    } catch {
      return failed("unreadable answer: signed, but not JSON");
    }
    if (answer.nonce !== nonce) return failed("replayed answer: its body names another request's nonce");
    // Kept short: every check stores them, and a perspective could send anything.
    identity = { name: keptValue(String(answer.perspective?.name ?? identity.name), 63), region: keptValue(String(answer.perspective?.region ?? UNKNOWN_REGION), 63) };
    const given = (Array.isArray(answer.observations) ? answer.observations : []).filter(wellFormed);
    return { ok: true, ...identity, observations: observationsOf(given, host), durationMs: Math.round(performance.now() - started) };
  }

  return { url, lookUpRecordHost };
}

/** Two lookups at a few resolvers fit in a few kilobytes; anything far larger is refused unread. */
const MAX_ANSWER_BYTES = 256 * 1024;

class AnswerTooLarge extends Error {}

async function readCapped(response: Response, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) {
      await response.body?.cancel().catch(() => undefined);
      throw new AnswerTooLarge(`answer too large: more than ${max} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

const MISSING: QueryResult<never> = { ok: false, failure: "ERROR", code: "NO_ANSWER" };

/** Signed is not the same as sound: entries of another shape are dropped rather than trusted. */
function wellFormed(observation: LookupObservation): boolean {
  const result = observation?.result as { ok?: unknown; records?: unknown; failure?: unknown } | undefined;
  return (
    typeof observation?.server === "string" &&
    (observation.type === "TXT" || observation.type === "CNAME") &&
    (DNSSEC_STATUSES as readonly string[]).includes(observation.dnssec) &&
    typeof result === "object" &&
    result !== null &&
    (result.ok === true ? Array.isArray(result.records) : typeof result.failure === "string")
  );
}

/** Per resolver of the perspective, its TXT and CNAME results for `host`. */
function observationsOf(observations: LookupObservation[], host: string): VantagePointObservation[] {
  const byServer = new Map<string, VantagePointObservation>();
  for (const observation of observations) {
    if (observation.host !== host) continue;
    const point = byServer.get(observation.server) ?? { server: observation.server, txt: MISSING, cname: MISSING, durationMs: 0 };
    // The status checked by wellFormed, not whatever the result object carries beside it.
    if (observation.type === "TXT") point.txt = { ...(observation.result as QueryResult<string[]>), dnssec: observation.dnssec };
    else point.cname = { ...(observation.result as QueryResult<string>), dnssec: observation.dnssec };
    point.durationMs = Math.max(point.durationMs, observation.durationMs);
    byServer.set(observation.server, point);
  }
  return [...byServer.values()];
}

function describeFetchError(error: unknown): string {
  const err = error as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (err.name === "TimeoutError" || err.name === "AbortError") return "no answer within the time limit";
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(error);
}
