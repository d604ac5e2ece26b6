import { Field, Int, ObjectType } from "type-graphql";
import { DnsAnswer, DnssecStatus } from "../verification/verification-check.type";
import type { DnsAnswer as DnsAnswerName, DnssecStatus as DnssecStatusName } from "../verification/types";

@ObjectType("PerspectiveResult", { description: "What one remote perspective saw of the record" })
export class PerspectiveResult {
  @Field(() => String, { description: "The name the perspective gives itself" })
  name!: string;
  @Field(() => String, { description: "Where it runs, as it declares it (e.g. an RIR region: ARIN, RIPE, APNIC, LACNIC, AFRINIC)" })
  region!: string;
  @Field(() => DnsAnswer, {
    description: "What it found at the record host; TIMEOUT or ERROR when it could not be asked or its answer could not be trusted",
  })
  answer!: DnsAnswerName;
  @Field(() => DnssecStatus, { description: "DNSSEC status of its answer" })
  dnssec!: DnssecStatusName;
  @Field(() => Boolean, { description: "True when it saw the claim's current token" })
  corroborates!: boolean;
  @Field(() => String, { nullable: true, description: "Why it could not be counted, e.g. unreachable or a bad signature" })
  error!: string | null;
  @Field(() => Int, { description: "How long it took to answer, in milliseconds" })
  durationMs!: number;
}

@ObjectType("Corroboration", {
  description: "Multi-perspective corroboration of a check (as in the CA/Browser Forum's Baseline Requirements 3.2.2.9)",
})
export class Corroboration {
  @Field(() => Int, { description: "Remote perspectives asked" })
  asked!: number;
  @Field(() => Int, { description: "Remote perspectives that saw the token" })
  corroborating!: number;
  @Field(() => Int, { description: "How many had to" })
  required!: number;
  @Field(() => [String], { description: "Distinct regions among the corroborating perspectives" })
  regions!: string[];
  @Field(() => Int, { description: "How many distinct regions had to corroborate" })
  requiredRegions!: number;
}
