import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { Node } from "../graphql/node.type";

export enum WebhookDeliveryStatus {
  PENDING = "PENDING",
  DELIVERED = "DELIVERED",
  FAILED = "FAILED",
}

registerEnumType(WebhookDeliveryStatus, {
  name: "WebhookDeliveryStatus",
  description: "Where one event's delivery to one endpoint stands",
  valuesConfig: {
    PENDING: { description: "Not delivered yet; nextAttemptAt says when it is tried again" },
    DELIVERED: { description: "A 2xx answer was received" },
    FAILED: { description: "Every attempt failed; redeliverWebhook tries again" },
  },
});

/** One attempt, as kept in the delivery's log. */
@ObjectType("WebhookAttempt", { description: "One POST of a delivery and how it went" })
export class WebhookAttempt {
  @Field(() => Date, { description: "When the POST was sent" })
  at!: Date;
  @Field(() => Int, { nullable: true, description: "HTTP status of the answer; null when there was no HTTP answer" })
  responseStatus!: number | null;
  @Field(() => String, { nullable: true, description: "What went wrong, in words; null on success" })
  error!: string | null;
  @Field(() => Int, { description: "How long the attempt took, in milliseconds" })
  durationMs!: number;
}

/** Attempts kept per delivery; older ones are dropped, the counters keep counting. */
export const MAX_ATTEMPT_LOG = 20;

const attemptLogTransformer = {
  to: (value: WebhookAttempt[]) => value,
  from: (value: Array<Omit<WebhookAttempt, "at"> & { at: string }> | null): WebhookAttempt[] =>
    (value ?? []).map((a) => ({ ...a, at: new Date(a.at) })),
};

/**
 * One audit entry on its way to one endpoint. It is inserted in the entry's own
 * transaction, so it exists as soon as the entry does; a worker leases it (leaseOwner,
 * leaseExpiresAt) while it POSTs, so no two instances send it at the same time.
 */
@Entity("webhook_deliveries")
@Index("UQ_webhook_deliveries_endpoint_entry", ["endpointId", "entryId"], { unique: true })
@Index("IDX_webhook_deliveries_endpoint_created", ["endpointId", "createdAt", "id"])
@Index("IDX_webhook_deliveries_due", ["status", "nextAttemptAt"])
@ObjectType("WebhookDelivery", { implements: Node, description: "One event sent, or to be sent, to one webhook endpoint" })
export class WebhookDelivery {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 36 })
  endpointId!: string;

  @Column({ type: "varchar", length: 191 })
  accountId!: string;

  @Column({ type: "varchar", length: 36 })
  entryId!: string;

  @Field(() => String, { description: "The webhook-id header: the same on every attempt, so receivers can drop duplicates" })
  @Column({ type: "varchar", length: 64 })
  messageId!: string;

  @Field(() => WebhookDeliveryStatus, { description: "Delivered, waiting for its next attempt, or given up on" })
  @Column({ type: "varchar", length: 16 })
  status!: WebhookDeliveryStatus;

  @Field(() => Int, { description: "How many POSTs were made" })
  @Column({ type: "integer" })
  attempts!: number;

  /** Null while PENDING means parked: the endpoint is disabled, and re-enabling it sets this again. */
  @Field(() => Date, { nullable: true, description: "When the next attempt is due; null when none is planned" })
  @Column({ type: "datetime", precision: 3, nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => Date, { nullable: true, description: "When the last attempt was made" })
  @Column({ type: "datetime", precision: 3, nullable: true })
  lastAttemptAt!: Date | null;

  @Field(() => Int, { nullable: true, description: "HTTP status of the last attempt; null when it got no HTTP answer" })
  @Column({ type: "integer", nullable: true })
  lastResponseStatus!: number | null;

  @Field(() => String, { nullable: true, description: "What went wrong on the last attempt, in words" })
  @Column({ type: "varchar", length: 500, nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: "When a 2xx answer was received" })
  @Column({ type: "datetime", precision: 3, nullable: true })
  deliveredAt!: Date | null;

  @Field(() => [WebhookAttempt], { description: "Every attempt's outcome, oldest first (the last 20)" })
  @Column({ type: "simple-json", transformer: attemptLogTransformer })
  attemptLog!: WebhookAttempt[];

  @Column({ type: "varchar", length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  leaseExpiresAt!: Date | null;

  @Field(() => Date, { description: "When the event was queued for this endpoint (its entry's commit)" })
  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;
}
