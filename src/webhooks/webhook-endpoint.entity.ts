import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { Field, ObjectType } from "type-graphql";
import { Node } from "../graphql/node.type";
import { AuditAction } from "../audit/audit.types";

/**
 * Where an account wants its events POSTed. The secrets are kept as given out (whsec_…):
 * signing needs them, unlike API keys, which only need to be recognized.
 */
@Entity("webhook_endpoints")
@Index("IDX_webhook_endpoints_account_created", ["accountId", "createdAt", "id"])
@ObjectType("WebhookEndpoint", { implements: Node, description: "A URL that receives the account's events as signed POSTs" })
export class WebhookEndpoint {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 191 })
  accountId!: string;

  @Field(() => String, { description: "https URL that receives POSTs signed per the Standard Webhooks specification" })
  @Column({ type: "varchar", length: 2048 })
  url!: string;

  @Field(() => [AuditAction], { description: "The actions delivered; empty means all" })
  @Column({ type: "simple-json" })
  actions!: AuditAction[];

  /** Only this domain's entries when set; a copy, so a removed domain leaves the endpoint receiving nothing rather than everything. */
  @Column({ type: "varchar", length: 36, nullable: true })
  domainId!: string | null;

  /** The domain's name, for the endpoint's own audit entries. */
  @Column({ type: "varchar", length: 253, nullable: true })
  domainName!: string | null;

  @Column({ type: "varchar", length: 100 })
  secret!: string;

  /** The secret before the last rotation, which keeps signing beside the new one until previousSecretExpiresAt. */
  @Column({ type: "varchar", length: 100, nullable: true })
  previousSecret!: string | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  previousSecretExpiresAt!: Date | null;

  @Field(() => Boolean, { description: "False once disabled (410 Gone, or failing for WEBHOOK_DISABLE_AFTER_HOURS); updateWebhookEndpoint re-enables it" })
  @Column({ type: "boolean" })
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: "Why it was disabled; null while enabled" })
  @Column({ type: "varchar", length: 255, nullable: true })
  disabledReason!: string | null;

  /** Since when every attempt has failed; the first success clears it. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  failingSince!: Date | null;

  @Field(() => Date, { description: "When the endpoint was created" })
  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;
}
