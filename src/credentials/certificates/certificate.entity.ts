import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { Field, ObjectType, registerEnumType } from "type-graphql";
import { Node } from "../../graphql/node.type";

export enum CertificateRevocationReason {
  DOMAIN_REMOVED = "DOMAIN_REMOVED",
  DOMAIN_NOT_VERIFIED = "DOMAIN_NOT_VERIFIED",
  REVOKED_BY_OWNER = "REVOKED_BY_OWNER",
}

registerEnumType(CertificateRevocationReason, {
  name: "CertificateRevocationReason",
  description: "Why a client certificate was revoked",
  valuesConfig: {
    DOMAIN_REMOVED: { description: "The domain was removed" },
    DOMAIN_NOT_VERIFIED: { description: "The domain was revoked or expired: it is no longer VERIFIED" },
    REVOKED_BY_OWNER: { description: "Its owner revoked it" },
  },
});

/**
 * A client certificate dnsproof issued for a verified domain. `domainId` and `domainName` are
 * copies, not a foreign key, so the certificate (and its place in the CRL) outlives the domain.
 */
@Entity("certificates")
@Index("UQ_certificates_serial", ["serialNumber"], { unique: true })
@Index("UQ_certificates_fingerprint", ["fingerprintSha256"], { unique: true })
@Index("IDX_certificates_account_created", ["accountId", "createdAt", "id"])
@Index("IDX_certificates_domain_created", ["domainId", "createdAt", "id"])
@Index("IDX_certificates_revoked", ["revokedAt"])
@ObjectType("Certificate", {
  implements: Node,
  description: "A TLS client certificate for a verified domain: its subject and only DNS name are the domain",
})
export class Certificate {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 191 })
  accountId!: string;

  @Column({ type: "varchar", length: 36 })
  domainId!: string;

  @Field(() => String, { description: "The name of the domain the certificate names, kept after that domain is removed" })
  @Column({ type: "varchar", length: 253 })
  domainName!: string;

  @Field(() => String, { description: "Lower-case hex" })
  @Column({ type: "varchar", length: 40 })
  serialNumber!: string;

  @Field(() => String, { description: "SHA-256 of the DER certificate, lower-case hex" })
  @Column({ type: "varchar", length: 64 })
  fingerprintSha256!: string;

  @Field(() => String, { description: "The certificate, PEM" })
  @Column({ type: "text" })
  pem!: string;

  @Field(() => Date, { description: "When the certificate starts being valid" })
  @Column({ type: "datetime", precision: 3 })
  notBefore!: Date;

  @Field(() => Date, { description: "When the certificate stops being valid" })
  @Column({ type: "datetime", precision: 3 })
  notAfter!: Date;

  @Field(() => Date, { nullable: true, description: "When the certificate was revoked; null while it is not" })
  @Column({ type: "datetime", precision: 3, nullable: true })
  revokedAt!: Date | null;

  @Field(() => CertificateRevocationReason, { nullable: true, description: "Why the certificate was revoked; null while it is not" })
  @Column({ type: "varchar", length: 32, nullable: true })
  revocationReason!: CertificateRevocationReason | null;

  @Field(() => Date, { description: "When the certificate was issued" })
  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;
}
