/**
 * Multi-perspective corroboration, pure: how many remote perspectives must see the token, in how
 * many regions, and what to tell the claimant when too few did. The rule follows the CA/Browser
 * Forum's Baseline Requirements 3.2.2.9: with N perspectives at most one may fail to corroborate
 * while N ≤ 5, and at most two from six on.
 */
import type { Corroboration, PerspectiveResult } from "../verification/types";

export interface CorroborationPolicy {
  /** How many perspectives must corroborate (DNS_PERSPECTIVE_QUORUM); by default all but the allowed failures. */
  quorum?: number;
  /** Distinct regions the corroborating perspectives must span (DNS_PERSPECTIVE_MIN_REGIONS); by default 2 when they declare 2 or more. */
  minRegions?: number;
}

export interface CorroborationDecision {
  corroboration: Corroboration;
  /** Enough perspectives, in enough regions, saw the token. */
  met: boolean;
}

/** A perspective whose region is not known yet: never reached, or never answered in a way we could trust. */
export const UNKNOWN_REGION = "unknown";

/** Perspectives that may fail to corroborate with `asked` of them: 1 up to five, 2 from six. */
export function allowedFailures(asked: number): number {
  return asked >= 6 ? 2 : 1;
}

/** How many must corroborate: the override if set (never more than were asked), else all but the allowed failures, and at least one. */
export function requiredCorroborations(asked: number, quorum?: number): number {
  if (quorum !== undefined) return Math.min(quorum, asked);
  return Math.max(1, asked - allowedFailures(asked));
}

/** Regions declared among the perspectives' results, so the default can ask for two only when two exist. */
export function declaredRegions(results: readonly PerspectiveResult[]): string[] {
  return distinct(results.map((result) => result.region).filter((region) => region !== UNKNOWN_REGION));
}

export function requiredRegions(results: readonly PerspectiveResult[], minRegions?: number): number {
  if (minRegions !== undefined) return minRegions;
  return declaredRegions(results).length >= 2 ? 2 : 1;
}

export function decideCorroboration(results: readonly PerspectiveResult[], policy: CorroborationPolicy = {}): CorroborationDecision {
  const corroborating = results.filter((result) => result.corroborates);
  const regions = distinct(corroborating.map((result) => result.region)).sort();
  const corroboration: Corroboration = {
    asked: results.length,
    corroborating: corroborating.length,
    required: requiredCorroborations(results.length, policy.quorum),
    regions,
    requiredRegions: requiredRegions(results, policy.minRegions),
  };
  const met = corroboration.corroborating >= corroboration.required && regions.length >= corroboration.requiredRegions;
  return { corroboration, met };
}

/** Why one perspective did not corroborate, as a person reads it. */
export function reasonOf(result: PerspectiveResult): string {
  if (result.error !== null) return result.error;
  if (result.dnssec === "BOGUS") return "its resolver found the zone's DNSSEC signatures BOGUS";
  switch (result.answer) {
    case "FOUND":
      return "it saw the record";
    case "NXDOMAIN":
    case "NODATA":
      return "record not found";
    case "OTHER_VALUES":
      return "it saw other values, not this claim's token";
    case "TIMEOUT":
      return "its resolver did not answer in time";
    case "SERVFAIL":
      return "its resolver answered SERVFAIL";
    case "REFUSED":
      return "its resolver refused the query";
    case "ERROR":
      return "its resolver could not be asked";
  }
}

/** The one sentence of a NOT_CORROBORATED check: how many saw the token, how many had to, and who did not and why. */
export function notCorroboratedMessage(host: string, results: readonly PerspectiveResult[], corroboration: Corroboration): string {
  const { asked, corroborating, required, regions, requiredRegions: neededRegions } = corroboration;
  const shortOfPerspectives = corroborating < required;
  const summary = shortOfPerspectives
    ? `only ${corroborating} of ${asked} remote perspectives saw it, and ${required} must`
    : `the ${corroborating} remote perspectives that saw it are in ${regions.length} ${plural(regions.length, "region")} (${regions.join(", ") || "none"}), and ${neededRegions} are needed`;
  return (
    `Not corroborated: this server found the record at ${host}, but ${summary}, so the claim is not verified yet.${notSeenBy(results)} ` +
    "If the record was just published, try again once every network sees it; if it was not published by you, someone may be answering for your zone on part of the Internet."
  );
}

/**
 * The sentences a corroborated (or recorded-only) check adds to its message. Those that did not
 * corroborate are named even when outvoted: one perspective that finds the zone BOGUS while this
 * server finds it SECURE is what a tampered path, or a resolver with a stale trust anchor, looks like.
 */
export function corroborationNote(corroboration: Corroboration, met: boolean, results: readonly PerspectiveResult[] = []): string {
  const { asked, corroborating, regions } = corroboration;
  const seen = `${corroborating} of ${asked} remote perspectives in ${regions.length} ${plural(regions.length, "region")} saw it`;
  const note = met ? `Corroborated: ${seen}.` : `Only ${seen}; a re-check is decided by this server's own lookups, so the status is kept.`;
  return `${note}${notSeenBy(results)}`;
}

/** " Not seen by p2 (RIPE): record not found; p5 (ARIN): unreachable (...)." or nothing when all saw it. */
function notSeenBy(results: readonly PerspectiveResult[]): string {
  const missing = results.filter((result) => !result.corroborates).map((result) => `${label(result)}: ${reasonOf(result)}`);
  return missing.length > 0 ? ` Not seen by ${missing.join("; ")}.` : "";
}

function label(result: PerspectiveResult): string {
  return result.region === UNKNOWN_REGION ? result.name : `${result.name} (${result.region})`;
}

function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}
