import { Field, ID, InputType, ObjectType } from "type-graphql";
import { Domain } from "./domain.entity";
import { DomainScope } from "../shared/domain-scope";
import { VerificationCheck, VerificationMethod } from "../verification/verification-check.type";
import { UserError } from "../graphql/user-error";
import { connectionTypes } from "../graphql/connection";

@ObjectType("DnsRecord", { description: "A record to publish in the domain's DNS", simpleResolvers: true })
export class DnsRecord {
  @Field(() => VerificationMethod, { description: "The record type" })
  type!: VerificationMethod;
  @Field(() => String, {
    description: "Fully-qualified record name without trailing dot, e.g. _dnsproof-verify.api.example.com",
  })
  host!: string;
  @Field(() => String, {
    description:
      "The same name relative to the registrable domain, for DNS panels that append the zone, e.g. _dnsproof-verify.api",
  })
  relativeHost!: string;
  @Field(() => String, { description: "The exact value to publish: the TXT string, or the CNAME target host" })
  value!: string;
}

export const { EdgeType: DomainEdge, ConnectionType: DomainConnection } = connectionTypes(Domain, "Domain", "domain");

@InputType("ClaimDomainInput", { description: "The name to claim" })
export class ClaimDomainInput {
  @Field(() => String, { description: "A domain name; Unicode names are accepted and stored as punycode" })
  name!: string;
  @Field(() => DomainScope, { nullable: true, description: "EXACT when omitted" })
  scope?: DomainScope | null;
}

@InputType("DomainInput", { description: "Which of the caller's domains to act on" })
export class DomainInput {
  @Field(() => ID, { description: "The domain's id" })
  id!: string;
}

@ObjectType("ClaimDomainPayload", { description: "The result of claimDomain", simpleResolvers: true })
export class ClaimDomainPayload {
  @Field(() => Domain, { nullable: true, description: "The claim, new or existing; null when userErrors is not empty" })
  domain!: Domain | null;
  @Field(() => Boolean, {
    description: "False when the caller had already claimed this name and the existing claim is returned",
  })
  created!: boolean;
  @Field(() => [UserError], { description: "Why nothing was claimed; empty on success" })
  userErrors!: UserError[];
}

@ObjectType("VerifyDomainPayload", { description: "The result of verifyDomain" })
export class VerifyDomainPayload {
  @Field(() => Domain, { nullable: true, description: "The domain after the check" })
  domain!: Domain | null;
  @Field(() => Boolean, { description: "True when the domain is VERIFIED after this check" })
  verified!: boolean;
  @Field(() => VerificationCheck, { nullable: true, description: "What the check found; null when userErrors is not empty" })
  check!: VerificationCheck | null;
  @Field(() => [UserError], { description: "Why no check ran; empty otherwise" })
  userErrors!: UserError[];
}

@ObjectType("RegenerateTokenPayload", { description: "The result of regenerateToken" })
export class RegenerateTokenPayload {
  @Field(() => Domain, { nullable: true, description: "The domain with its new token and records" })
  domain!: Domain | null;
  @Field(() => [UserError], { description: "Why nothing changed; empty on success" })
  userErrors!: UserError[];
}

@ObjectType("RemoveDomainPayload", { description: "The result of removeDomain" })
export class RemoveDomainPayload {
  @Field(() => ID, { nullable: true, description: "The id of the removed domain" })
  removedDomainId!: string | null;
  @Field(() => [UserError], { description: "Why nothing was removed; empty on success" })
  userErrors!: UserError[];
}
