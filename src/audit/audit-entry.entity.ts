import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { Field, ObjectType } from "type-graphql";
import { Node } from "../graphql/node.type";
import { DomainStatus } from "../shared/domain-status";
import { Actor, ActorType, AuditAction, AuditReason } from "./audit.types";
import type { VerificationCheckData } from "../verification/types";
import { checkColumnTransformer } from "../verification/verification-check.type";

/**
 * One audited action. Entries outlive their domain: `domainId` and `domainName`
 * are copies, not a foreign key, so removal never erases history.
 */
@Entity("audit_entries")
@Index("IDX_audit_account_created", ["accountId", "createdAt", "id"])
@Index("IDX_audit_domain_created", ["domainId", "createdAt", "id"])
// Plain fields are read straight off the row (no middleware applies to them), which graphql-jit inlines.
@ObjectType("AuditEntry", { implements: Node, description: "One action on a domain: who, what, when and why", simpleResolvers: true })
export class AuditEntry {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 191 })
  accountId!: string;

  @Column({ type: "varchar", length: 36, nullable: true })
  domainId!: string | null;

  @Field(() => String, {
    description: "The domain's name when the entry was written; kept after removal. Empty for account-wide entries, e.g. about an API key with full access",
  })
  @Column({ type: "varchar", length: 253 })
  domainName!: string;

  @Field(() => AuditAction, { description: "What happened" })
  @Column({ type: "varchar", length: 32 })
  action!: AuditAction;

  @Column({ type: "varchar", length: 16 })
  actorType!: ActorType;

  @Column({ type: "varchar", length: 191, nullable: true })
  actorId!: string | null;

  @Column({ type: "varchar", length: 320, nullable: true })
  actorEmail!: string | null;

  @Field(() => String, { description: "What happened, in one sentence" })
  @Column({ type: "text" })
  message!: string;

  @Field(() => DomainStatus, { nullable: true, description: "The domain's status before the action" })
  @Column({ type: "varchar", length: 16, nullable: true })
  previousStatus!: DomainStatus | null;

  @Field(() => DomainStatus, { nullable: true, description: "The domain's status after the action" })
  @Column({ type: "varchar", length: 16, nullable: true })
  newStatus!: DomainStatus | null;

  @Field(() => AuditReason, { nullable: true, description: "For DOMAIN_REVOKED entries: why" })
  @Column({ type: "varchar", length: 32, nullable: true })
  reason!: AuditReason | null;

  @Field(() => Date, {
    nullable: true,
    description: "For GRACE_PERIOD_STARTED and later failing re-checks: when the domain will be revoked if the record stays missing",
  })
  @Column({ type: "datetime", precision: 3, nullable: true })
  graceEndsAt!: Date | null;

  /** The full check, vantage points included: the evidence of why a domain was (not) verified. */
  // "check" is a reserved word in MySQL; the column gets a name that never needs quoting.
  @Column({ name: "checkResult", type: "simple-json", nullable: true, transformer: checkColumnTransformer })
  check!: VerificationCheckData | null;

  @Field(() => String, {
    nullable: true,
    description: "The id of the request that caused this entry, as sent back in the x-request-id response header",
  })
  @Column({ type: "varchar", length: 128, nullable: true })
  requestId!: string | null;

  @Field(() => Date, { description: "When the action happened" })
  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  /**
   * A getter of the entity rather than a field resolver, and `simple`, so that it has no resolver
   * (callFieldResolversDirectly): graphql-jit reads such a field inline, where a resolver costs a
   * call with its own info and path objects, and a log page of 50 domains has 500 entries. Not a
   * column, and not an own property: TypeORM and JSON.stringify leave it alone.
   */
  @Field(() => Actor, { description: "Who caused the action", simple: true })
  get actor(): Actor {
    return { type: this.actorType, id: this.actorId, email: this.actorEmail };
  }
}
