import { Field, ID, InputType, ObjectType } from "type-graphql";
import { Certificate } from "./certificate.entity";
import { UserError } from "../../graphql/user-error";
import { connectionTypes } from "../../graphql/connection";

export const { EdgeType: CertificateEdge, ConnectionType: CertificateConnection } = connectionTypes(Certificate, "Certificate", "client certificate");

@InputType("IssueCertificateInput", { description: "The domain to certify and the key to certify" })
export class IssueCertificateInput {
  @Field(() => ID, { description: "A VERIFIED domain of the account" })
  domainId!: string;
  @Field(() => String, { description: "PKCS#10 certificate signing request, PEM; only its public key is used: the subject comes from the domain" })
  csr!: string;
  @Field(() => Boolean, { nullable: true, description: "Also name *.<domain> in the certificate; only for a VERIFIED domain whose scope is SUBTREE" })
  wildcard?: boolean | null;
}

@InputType("CertificateInput", { description: "Which of the account's certificates to act on" })
export class CertificateInput {
  @Field(() => ID, { description: "The certificate's id" })
  id!: string;
}

@ObjectType("IssueCertificatePayload", { description: "The result of issueCertificate" })
export class IssueCertificatePayload {
  @Field(() => Certificate, { nullable: true, description: "The new certificate; null when userErrors is not empty" })
  certificate!: Certificate | null;
  @Field(() => String, { nullable: true, description: "The issuing CA certificate(s), PEM, to build the chain" })
  chainPem!: string | null;
  @Field(() => [UserError], { description: "Why no certificate was issued; empty on success" })
  userErrors!: UserError[];
}

@ObjectType("RevokeCertificatePayload", { description: "The result of revokeCertificate" })
export class RevokeCertificatePayload {
  @Field(() => Certificate, { nullable: true, description: "The certificate, now revoked" })
  certificate!: Certificate | null;
  @Field(() => [UserError], { description: "Why nothing was revoked; empty on success" })
  userErrors!: UserError[];
}
