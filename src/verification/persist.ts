/**
 * Persistent validation records in the syntax of ACME dns-persist-01
 * (draft-ietf-acme-dns-persist): `<issuer>; accounturi=<uri>[; policy=subtree][; persistUntil=<unix>]`
 * at `_dnsproof-persist.<name>`. Published once, the record names the account it authorizes and
 * needs no token, so regenerating one changes nothing. Pure: parsing, rendering and the decision.
 */
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
