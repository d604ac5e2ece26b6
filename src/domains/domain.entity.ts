import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { Field, ObjectType } from "type-graphql";
import { Node } from "../graphql/node.type";
import { DomainStatus } from "../shared/domain-status";
import { DomainScope } from "../shared/domain-scope";
import type { VerificationCheckData } from "../verification/types";
import { checkColumnTransformer } from "../verification/verification-check.type";

/** A claim of one name by one account. Columns without @Field stay private (the token is shown through the records). */
@Entity("domains")
@Index("UQ_domains_account_name", ["accountId", "name"], { unique: true })
@Index("IDX_domains_account_created", ["accountId", "createdAt", "id"])
@Index("IDX_domains_name", ["name"])
@Index("UQ_domains_verified_name", ["verifiedName"], { unique: true })
@Index("IDX_domains_next_check", ["nextCheckAt"])
@Index("IDX_domains_status_checked", ["status", "lastCheckedAt"])
@Index("IDX_domains_status_token_expiry", ["status", "tokenExpiresAt"])
@Index("IDX_domains_status_updated", ["status", "updatedAt"])
@Index("IDX_domains_created_status", ["createdAt", "id", "status", "tokenExpiresAt"])
@Index("IDX_domains_inherited_from", ["inheritedFromId"])
@Index("IDX_domains_name_reversed", ["nameReversed"])
@Index("IDX_domains_account_name_reversed", ["accountId", "nameReversed"])
@ObjectType("Domain", {
  implements: Node,
  description: "A name claimed by the caller's account, with the records that prove it and where it stands",
  // Plain fields are read straight off the row (no middleware applies to them), which graphql-jit inlines.
  simpleResolvers: true,
})
export class Domain {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 191 })
  accountId!: string;

  @Field(() => String, { description: "ASCII (punycode) lower-case name without trailing dot" })
  @Column({ type: "varchar", length: 253 })
  name!: string;

  /**
   * `name` with its labels reversed (`com.example.api`), written once with the claim since a name
   * never changes: the names under a SUBTREE claim are then one range of an index, which a
   * suffix match on `name` can never be.
   */
  @Column({ type: "varchar", length: 253 })
  nameReversed!: string;

  @Column({ type: "varchar", length: 16 })
  status!: DomainStatus;

  @Field(() => DomainScope, { description: "How much of the DNS tree the claim covers, and so where its record lives" })
  @Column({ type: "varchar", length: 16, default: DomainScope.EXACT })
  scope!: DomainScope;

  /**
   * The account's VERIFIED SUBTREE claim this one is verified through; null when it is verified
   * by a record of its own (or not verified). Shown as inheritedFrom through the resolver.
   */
  @Column({ type: "varchar", length: 36, nullable: true })
  inheritedFromId!: string | null;

  @Column({ type: "varchar", length: 64 })
  token!: string;

  /** Tokens this claim had before, newest first: a record still carrying one earns a precise hint. */
  @Column({ type: "simple-json" })
  previousTokens!: string[];

  /**
   * When the current token was issued: the anchor of the unverified claim's backoff ladder.
   * Stored rather than worked out from tokenExpiresAt, so a new TOKEN_TTL_DAYS never moves it.
   */
  @Column({ type: "datetime", precision: 3 })
  tokenIssuedAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  tokenExpiresAt!: Date;

  /**
   * Equal to `name` while VERIFIED, NULL otherwise. Its unique index is what makes
   * ownership exclusive in the database itself: NULLs never collide.
   */
  @Column({ type: "varchar", length: 253, nullable: true })
  verifiedName!: string | null;

  @Field(() => Date, { nullable: true, description: "When ownership was last proven by a check that changed the status to VERIFIED" })
  @Column({ type: "datetime", precision: 3, nullable: true })
  verifiedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: "When the record was last looked up, by anyone" })
  @Column({ type: "datetime", precision: 3, nullable: true })
  lastCheckedAt!: Date | null;

  @Column({ type: "simple-json", nullable: true, transformer: checkColumnTransformer })
  lastCheck!: VerificationCheckData | null;

  @Field(() => Date, {
    nullable: true,
    description: "Since when re-checks of this verified domain have not found its record; null while they find it",
  })
  @Column({ type: "datetime", precision: 3, nullable: true })
  failingSince!: Date | null;

  /** When the scheduler should next look at the claim: check it, or expire it. Shown through the resolver. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  nextCheckAt!: Date | null;

  /**
   * Which scheduler run holds the claim, until when. A run that crashes holds it only
   * until leaseExpiresAt; after that any instance may take it.
   */
  @Column({ type: "varchar", length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  leaseExpiresAt!: Date | null;

  /** When TOKEN_EXPIRING_SOON was written for the current token; a new token clears it, so each token is warned about once. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  tokenExpiryWarnedAt!: Date | null;

  @Field(() => Date, { description: "When the claim was made" })
  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Field(() => Date, { description: "When anything about the claim last changed" })
  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;
}
