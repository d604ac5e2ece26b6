import { Field, ID, InputType, ObjectType } from "type-graphql";
import { UserError } from "../../graphql/user-error";

@InputType("IssueDomainAttestationInput", { description: "The domain to attest and who the attestation is for" })
export class IssueDomainAttestationInput {
  @Field(() => ID, { description: "A VERIFIED domain of the account" })
  domainId!: string;
  @Field(() => String, { nullable: true, description: "The aud claim: who the attestation is for (e.g. the relying party's URL)" })
  audience!: string | null;
}

@ObjectType("IssueDomainAttestationPayload", { description: "The result of issueDomainAttestation" })
export class IssueDomainAttestationPayload {
  @Field(() => String, { nullable: true, description: "A compact JWS (JWT) signed by dnsproof: sub is the domain name" })
  attestation!: string | null;
  @Field(() => Date, { nullable: true, description: "When the attestation stops being valid (its exp claim)" })
  expiresAt!: Date | null;
  @Field(() => [UserError], { description: "Why no attestation was issued; empty on success" })
  userErrors!: UserError[];
}
