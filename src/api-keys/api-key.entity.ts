import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { Field, ObjectType } from "type-graphql";
import { Node } from "../graphql/node.type";

/**
 * A bearer credential of an account, optionally scoped to one of its domains. Only a hash of
 * the secret is kept; columns without @Field stay private.
 */
@Entity("api_keys")
@Index("UQ_api_keys_secret_hash", ["secretHash"], { unique: true })
@Index("IDX_api_keys_account_created", ["accountId", "createdAt", "id"])
@ObjectType("ApiKey", {
  implements: Node,
  description: "A key that authenticates as the account (or, when scoped, as one of its domains) instead of a user's sign-in",
})
export class ApiKey {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 191 })
  accountId!: string;

  @Field(() => String, { description: "What the key is for, as its creator named it" })
  @Column({ type: "varchar", length: 100 })
  name!: string;

  @Field(() => String, { description: "The first characters of the secret (dpk_ and eight more), to recognize a key by" })
  @Column({ type: "varchar", length: 16 })
  prefix!: string;

  /** SHA-256 of the whole secret, hex: enough for 256 random bits, and what a presented key is looked up by. */
  @Column({ type: "varchar", length: 64 })
  secretHash!: string;

  /** The only domain a scoped key sees; a copy, not a foreign key, so removal leaves the key dead rather than unscoped. */
  @Column({ type: "varchar", length: 36, nullable: true })
  domainId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The name of the domain the key is scoped to, kept after that domain is removed; null for a key with the account's full access",
  })
  @Column({ type: "varchar", length: 253, nullable: true })
  domainName!: string | null;

  /** Who created it (user id; null when ADMIN_SECRET did), and whether that was an admin: ADMIN_ALLOW_API_KEYS re-checks both. */
  @Column({ type: "varchar", length: 191, nullable: true })
  createdBy!: string | null;

  /** The creator's e-mail only when its identity provider vouched for it (email_verified), ASCII-lower-cased. */
  @Column({ type: "varchar", length: 320, nullable: true })
  createdByEmail!: string | null;

  /** Created with ADMIN_SECRET: a column of its own, since any user id a token carries could also be a sentinel's. */
  @Column({ type: "boolean", default: false })
  createdByAdminSecret!: boolean;

  @Column({ type: "boolean" })
  createdByAdmin!: boolean;

  @Field(() => Date, { description: "When the key was created" })
  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: "When the key last authenticated a request, to the minute; null if never" })
  @Column({ type: "datetime", precision: 3, nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: "When the key was revoked; null while it is not" })
  @Column({ type: "datetime", precision: 3, nullable: true })
  revokedAt!: Date | null;
}
