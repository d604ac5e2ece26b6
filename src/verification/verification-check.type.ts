import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import type { ValueTransformer } from "typeorm";
import {
  DNS_ANSWERS,
  DNSSEC_STATUSES,
  type DnssecStatus as DnssecStatusName,
  type ExtendedDnsError as ExtendedDnsErrorData,
  VERIFICATION_METHODS,
  VERIFICATION_OUTCOMES,
  type DnsAnswer as DnsAnswerName,
  type VerificationCheckData,
  type VerificationMethod as VerificationMethodName,
  type VerificationOutcome as VerificationOutcomeName,
} from "./types";

/** `{ TXT: "TXT", … }` from a list in types.ts: the GraphQL enum has exactly the values the TypeScript type has. */
function enumOf<const T extends string>(values: readonly T[]): { readonly [K in T]: K } {
  return Object.fromEntries(values.map((value) => [value, value])) as { readonly [K in T]: K };
}

/** A description for every value, or the type check fails. */
type Described<T extends string> = Record<T, { description: string }>;

export const VerificationMethod = enumOf(VERIFICATION_METHODS);
export type VerificationMethod = VerificationMethodName;
registerEnumType(VerificationMethod, {
  name: "VerificationMethod",
  description: "Which kind of record proves control",
  valuesConfig: {
    TXT: { description: "A TXT record `dnsproof-verification=<token>` at the record host" },
    CNAME: { description: "A CNAME from the record host to `<token>.<verification zone>`" },
    PERSISTENT: { description: "The account's persistent record at _dnsproof-persist.<name> or at a parent with policy=subtree" },
    INHERITED: { description: "A VERIFIED SUBTREE domain of the same account covers the name" },
  } satisfies Described<VerificationMethodName>,
});

export const VerificationOutcome = enumOf(VERIFICATION_OUTCOMES);
export type VerificationOutcome = VerificationOutcomeName;
registerEnumType(VerificationOutcome, {
  name: "VerificationOutcome",
  description: "What one verification attempt concluded",
  valuesConfig: {
    VERIFIED: { description: "A record with the expected value was found" },
    RECORD_NOT_FOUND: { description: "Neither the TXT nor the CNAME record exists at the expected host" },
    VALUE_MISMATCH: { description: "Records exist at the host, but none carries this claim's token" },
    DNS_ERROR: {
      description: "DNS could not be asked (timeout, SERVFAIL, refused): nothing was concluded and the status was not changed",
    },
    VERIFIED_BY_ANOTHER_ACCOUNT: {
      description:
        "This claim's record was found, but another account holds this name verified and its record is still published",
    },
    TOKEN_EXPIRED: { description: "The token expired before the record was found; regenerate the token" },
    DNSSEC_BOGUS: { description: "The zone's DNSSEC signatures do not validate: nothing is concluded from its answers" },
    DNSSEC_INSECURE: {
      description: "The server requires DNSSEC-signed zones (DNSSEC_POLICY=require-secure) and this answer was not SECURE",
    },
    NOT_CORROBORATED: { description: "The record was found, but too few remote perspectives saw it" },
  } satisfies Described<VerificationOutcomeName>,
});

export const DnsAnswer = enumOf(DNS_ANSWERS);
export type DnsAnswer = DnsAnswerName;
registerEnumType(DnsAnswer, {
  name: "DnsAnswer",
  description: "What one vantage point answered about the record host",
  valuesConfig: {
    FOUND: { description: "It serves this claim's record" },
    OTHER_VALUES: { description: "It serves records at the host, none with this claim's token" },
    NXDOMAIN: { description: "The host does not exist" },
    NODATA: { description: "The host exists but has no TXT or CNAME record" },
    TIMEOUT: { description: "No answer within the deadline" },
    SERVFAIL: { description: "The server failed to answer (often a broken zone or DNSSEC)" },
    REFUSED: { description: "The server refused the query" },
    ERROR: { description: "Any other failure to ask" },
  } satisfies Described<DnsAnswerName>,
});

export const DnssecStatus = enumOf(DNSSEC_STATUSES);
export type DnssecStatus = DnssecStatusName;
registerEnumType(DnssecStatus, {
  name: "DnssecStatus",
  description: "What DNSSEC says about an answer",
  valuesConfig: {
    SECURE: { description: "A validating resolver vouched for the answer (AD bit), from a resolver trusted to validate" },
    INSECURE: { description: "A validating resolver answered, and the zone is not signed" },
    BOGUS: { description: "The zone is signed but its signatures do not validate (SERVFAIL with a DNSSEC extended error)" },
    UNVALIDATED: {
      description: "Nothing can be said: the resolver is not trusted to validate, or the answer came from a zone's own nameserver",
    },
  } satisfies Described<DnssecStatusName>,
});

@ObjectType("ExtendedDnsError", { description: "An Extended DNS Error (RFC 8914) a server attached to its answer" })
export class ExtendedDnsError implements ExtendedDnsErrorData {
  @Field(() => Int, { description: "The INFO-CODE, e.g. 6 for DNSSEC Bogus, 9 for DNSKEY Missing" })
  code!: number;
  @Field(() => String, { description: "The code's name from the IANA registry, e.g. DNSKEY Missing" })
  name!: string;
  @Field(() => String, { nullable: true, description: "EXTRA-TEXT the server sent, if any" })
  text!: string | null;
}

@ObjectType("VantagePointResult", { description: "What one resolver or nameserver answered during a check" })
export class VantagePointResult {
  @Field(() => String, { description: "The server asked, e.g. 192.0.2.53:53 or ns1.example.com (192.0.2.1)" })
  server!: string;
  @Field(() => DnsAnswer, { description: "The kind of answer" })
  answer!: DnsAnswerName;
  @Field(() => [String], { description: "TXT strings (chunks joined) and CNAME targets it returned" })
  values!: string[];
  @Field(() => Int, { description: "How long it took to answer, in milliseconds" })
  durationMs!: number;
  @Field(() => DnssecStatus, { description: "DNSSEC status of this vantage point's answer" })
  dnssec!: DnssecStatusName;
  @Field(() => [ExtendedDnsError], { description: "Extended DNS Errors attached to the answer" })
  extendedErrors!: ExtendedDnsErrorData[];
}

@ObjectType("VerificationCheck", { description: "The result of looking the claim's record up" })
export class VerificationCheck {
  @Field(() => VerificationOutcome, { description: "What the check concluded" })
  outcome!: VerificationOutcomeName;
  @Field(() => VerificationMethod, { nullable: true, description: "Which record matched, when one did" })
  method!: VerificationMethodName | null;
  @Field(() => Date, { description: "When the check ran" })
  checkedAt!: Date;
  @Field(() => String, { description: "One sentence a person can act on" })
  message!: string;
  @Field(() => [String], {
    description: "The values that were found at the record host (TXT strings with chunks joined, or CNAME targets)",
  })
  foundValues!: string[];
  @Field(() => [String], { description: "Concrete advice for common mistakes, e.g. the zone appended twice to the record name" })
  hints!: string[];
  @Field(() => [VantagePointResult], { description: "What each vantage point answered; empty when DNS was not asked" })
  servers!: VantagePointResult[];
  @Field(() => DnssecStatus, {
    description: "DNSSEC status of the check as a whole: BOGUS if any answer was, SECURE only if every answer that counted was",
  })
  dnssec!: DnssecStatusName;
}

/**
 * JSON columns hold checkedAt as a string; readers get a Date back. Checks stored before DNSSEC
 * was looked at read as UNVALIDATED, which is what they were.
 */
export const checkColumnTransformer: ValueTransformer = {
  to: (value: VerificationCheckData | null) => value,
  from: (value: unknown): VerificationCheckData | null => {
    if (value === null || value === undefined) return null;
    const parsed = (typeof value === "string" ? JSON.parse(value) : value) as VerificationCheckData & { checkedAt: string };
    const servers = (parsed.servers ?? []).map((server) => ({ ...server, dnssec: server.dnssec ?? "UNVALIDATED", extendedErrors: server.extendedErrors ?? [] }));
    return {
      ...parsed,
      servers,
      dnssec: parsed.dnssec ?? "UNVALIDATED",
      perspectives: parsed.perspectives ?? [],
      corroboration: parsed.corroboration ?? null,
      checkedAt: new Date(parsed.checkedAt),
    };
  },
};
