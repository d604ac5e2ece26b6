/**
 * Persistent validation records in the syntax of ACME dns-persist-01
 * (draft-ietf-acme-dns-persist): `<issuer>; accounturi=<uri>[; policy=subtree][; persistUntil=<unix>]`
 * at `_dnsproof-persist.<name>`. Published once, the record names the account it authorizes and
 * needs no token, so regenerating one changes nothing. Pure: parsing, rendering and the decision.
 */
import { getDomain } from "tldts";
import type { VantagePointResult } from "./types";

export const PERSIST_LABEL = "_dnsproof-persist";

export function persistHost(name: string): string {
  return `${PERSIST_LABEL}.${name}`;
}

export interface PersistentRecord {
  /** The issuer domain name, lower case. */
  issuer: string;
  accountUri: string;
  /** policy=subtree: the record also covers every name under its own. */
  subtree: boolean;
  /** Unix seconds after which the record no longer counts; null for no end. */
  persistUntil: number | null;
}

/** The TXT value for `record`, in the draft's order of tags. */
export function renderPersistentRecord(record: PersistentRecord): string {
  const parts = [record.issuer, `accounturi=${record.accountUri}`];
  if (record.subtree) parts.push("policy=subtree");
  if (record.persistUntil !== null) parts.push(`persistUntil=${record.persistUntil}`);
  return parts.join("; ");
}

/**
 * A TXT value read leniently, as the draft asks: tags are case-insensitive, whitespace around
 * parts is ignored, unknown tags are skipped. Null when it is not such a record (no issuer, no
 * accounturi, or a tag given a value it cannot have). Never throws, whatever the zone holds.
 */
export function parsePersistentRecord(value: string): PersistentRecord | null {
  const [head, ...rest] = value.split(";").map((part) => part.trim());
  const issuer = head?.toLowerCase().replace(/\.$/, "") ?? "";
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(issuer)) return null;
  let accountUri: string | null = null;
  let subtree = false;
  let persistUntil: number | null = null;
  for (const part of rest) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const tag = part.slice(0, eq).trim().toLowerCase();
    const tagValue = part.slice(eq + 1).trim();
    if (tag === "accounturi") accountUri = tagValue;
    else if (tag === "policy") subtree = tagValue.toLowerCase() === "subtree";
    else if (tag === "persistuntil") {
      if (!/^\d{1,12}$/.test(tagValue)) return null;
      persistUntil = Number(tagValue);
    }
  }
  return accountUri ? { issuer, accountUri, subtree, persistUntil } : null;
}

/** What the service recognizes as its own records: its issuer names and the claiming account's URI. */
export interface PersistExpectation {
  issuers: readonly string[];
  accountUri: string;
  /** True when the record is at a name above the claimed one: only policy=subtree covers it. */
  fromParent: boolean;
  now: Date;
}

export type PersistVerdict =
  | { ok: true; record: PersistentRecord }
  | { ok: false; reason: "not-a-record" | "other-issuer" | "other-account" | "not-subtree" | "expired"; record: PersistentRecord | null };

/** Whether one TXT value authorizes the claim; the reason it does not, for the hints. */
export function judgePersistentValue(value: string, expected: PersistExpectation): PersistVerdict {
  const record = parsePersistentRecord(value);
  if (!record) return { ok: false, reason: "not-a-record", record: null };
  if (!expected.issuers.map((issuer) => issuer.toLowerCase()).includes(record.issuer)) return { ok: false, reason: "other-issuer", record };
  if (record.accountUri !== expected.accountUri) return { ok: false, reason: "other-account", record };
  if (expected.fromParent && !record.subtree) return { ok: false, reason: "not-subtree", record };
  if (record.persistUntil !== null && record.persistUntil * 1000 <= expected.now.getTime()) return { ok: false, reason: "expired", record };
  return { ok: true, record };
}

/** Every value that authorizes the claim wins over those that do not: several TXT records are each considered. */
export function judgePersistentValues(values: readonly string[], expected: PersistExpectation): PersistVerdict[] {
  return values.map((value) => judgePersistentValue(value, expected));
}

/** `<PUBLIC_URL>/accounts/<account id>`: stable for the account, whatever its claims and tokens do. */
export function accountUriOf(accountId: string, publicUrl: string): string {
  return `${publicUrl}/accounts/${encodeURIComponent(accountId)}`;
}

/** Whether a value found in DNS is a persistent record naming `accountId` (of any issuer): ownership must not move past it. */
export function namesAccount(value: string, accountId: string): boolean {
  const record = parsePersistentRecord(value);
  return record !== null && record.accountUri.endsWith(`/accounts/${encodeURIComponent(accountId)}`);
}

/** Where a claim's persistent records may be: at its own name, then (policy=subtree only) each name above it up to the registrable domain. */
export interface PersistLookupHost {
  host: string;
  name: string;
  fromParent: boolean;
}

export function persistLookupHosts(name: string, registrable: string | null): PersistLookupHost[] {
  const hosts: PersistLookupHost[] = [{ host: persistHost(name), name, fromParent: false }];
  if (!registrable || registrable === name || !name.endsWith(`.${registrable}`)) return hosts;
  const labels = name.split(".");
  const depth = registrable.split(".").length;
  for (let i = 1; labels.length - i >= depth; i++) {
    const above = labels.slice(i).join(".");
    hosts.push({ host: persistHost(above), name: above, fromParent: true });
  }
  return hosts;
}

/** persistLookupHosts for a claim of `name`, up to its registrable domain as the hints take it (private suffixes such as github.io included). */
export function claimPersistHosts(name: string): PersistLookupHost[] {
  return persistLookupHosts(name, getDomain(name, { allowPrivateDomains: true }));
}

/** What the vantage points returned at one persistent-record host: each server's values. */
export interface PersistObservation extends PersistLookupHost {
  servers: VantagePointResult[];
  /** How many vantage points must return a value for it to count. */
  quorum: number;
  /** What DNSSEC said of the lookup at this host. */
  dnssec?: VantagePointResult["dnssec"];
}

export type PersistDecision =
  | { verified: true; host: string; value: string; fromParent: boolean; values: string[] }
  | { verified: false; hints: string[]; values: string[] };

/**
 * The account's persistent records against what DNS returned: the first value a quorum of
 * vantage points returned that authorizes the claim verifies it; otherwise each record that
 * looked meant for this service says why it did not count.
 */
export function decidePersistent(claimName: string, observations: readonly PersistObservation[], expected: Omit<PersistExpectation, "fromParent">): PersistDecision {
  const hints: string[] = [];
  const values: string[] = [];
  for (const observation of observations) {
    const counted = agreedValues(observation);
    values.push(...counted);
    for (const value of counted) {
      const verdict = judgePersistentValue(value, { ...expected, fromParent: observation.fromParent });
      // Every value counted so far stays in the evidence: another account's record beside ours keeps its name (ownership.ts).
      if (verdict.ok) return { verified: true, host: observation.host, value, fromParent: observation.fromParent, values: [...values, ...counted] };
      const hint = persistHint(verdict, observation, claimName, expected);
      if (hint) hints.push(hint);
    }
  }
  return { verified: false, hints, values };
}

/** The values a quorum of vantage points returned at one host. */
export function agreedValues(observation: PersistObservation): string[] {
  const counts = new Map<string, number>();
  for (const server of observation.servers) for (const value of new Set(server.values)) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].filter(([, count]) => count >= observation.quorum).map(([value]) => value);
}

function persistHint(verdict: Extract<PersistVerdict, { ok: false }>, observation: PersistObservation, claimName: string, expected: Omit<PersistExpectation, "fromParent">): string | null {
  const { host } = observation;
  switch (verdict.reason) {
    case "not-a-record":
      return null;
    case "other-issuer":
      // Another CA's or service's record is not a mistake; one that names this account under an old or wrong issuer is.
      return verdict.record!.accountUri === expected.accountUri
        ? `The persistent record at ${host} names the issuer ${verdict.record!.issuer}, not ${expected.issuers[0]}: start its value with ${expected.issuers[0]}.`
        : null;
    case "other-account":
      return `The persistent record at ${host} names another account: a persistent record only verifies the claims of the account it names, and this account's URI is ${expected.accountUri}.`;
    case "not-subtree":
      return `The persistent record at ${host} covers ${observation.name} alone: add "; policy=subtree" to it to cover ${claimName} too.`;
    case "expired":
      return `The persistent record at ${host} stopped counting at ${new Date(verdict.record!.persistUntil! * 1000).toISOString()} (its persistUntil): publish it with a later persistUntil, or without one.`;
  }
}
