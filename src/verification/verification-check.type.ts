import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import type { ValueTransformer } from "typeorm";
import {
  DNS_ANSWERS,
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
}

/** JSON columns hold checkedAt as a string; readers get a Date back. */
export const checkColumnTransformer: ValueTransformer = {
  to: (value: VerificationCheckData | null) => value,
  from: (value: unknown): VerificationCheckData | null => {
    if (value === null || value === undefined) return null;
    const parsed = (typeof value === "string" ? JSON.parse(value) : value) as VerificationCheckData & { checkedAt: string };
    return { ...parsed, servers: parsed.servers ?? [], checkedAt: new Date(parsed.checkedAt) };
  },
};
