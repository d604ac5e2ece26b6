import { Field, ID, InputType, ObjectType } from "type-graphql";
import { WebhookEndpoint } from "./webhook-endpoint.entity";
import { WebhookDelivery } from "./webhook-delivery.entity";
import { AuditAction } from "../audit/audit.types";
import { UserError } from "../graphql/user-error";
import { connectionTypes } from "../graphql/connection";

export const { EdgeType: WebhookEndpointEdge, ConnectionType: WebhookEndpointConnection } = connectionTypes(
  WebhookEndpoint,
  "WebhookEndpoint",
  "webhook endpoint",
);
export const { EdgeType: WebhookDeliveryEdge, ConnectionType: WebhookDeliveryConnection } = connectionTypes(
  WebhookDelivery,
  "WebhookDelivery",
  "webhook delivery",
);

@InputType("CreateWebhookEndpointInput", { description: "The endpoint to create" })
export class CreateWebhookEndpointInput {
  @Field(() => String, { description: "https URL on the public internet that receives the POSTs" })
  url!: string;
  @Field(() => [AuditAction], { nullable: true, description: "Deliver only these actions; omitted or empty: all" })
  actions!: AuditAction[] | null;
  @Field(() => ID, { nullable: true, description: "Deliver only this domain's entries" })
  domainId!: string | null;
}

@InputType("UpdateWebhookEndpointInput", { description: "What to change on an endpoint; omitted fields stay as they are" })
export class UpdateWebhookEndpointInput {
  @Field(() => ID, { description: "The endpoint's id" })
  id!: string;
  @Field(() => String, { nullable: true, description: "A new URL, checked like a new endpoint's" })
  url!: string | null;
  @Field(() => [AuditAction], { nullable: true, description: "The actions to deliver; empty: all" })
  actions!: AuditAction[] | null;
  @Field(() => Boolean, { nullable: true, description: "true re-enables a disabled endpoint" })
  enabled!: boolean | null;
}

@InputType("WebhookEndpointInput", { description: "Which of the account's webhook endpoints to act on" })
export class WebhookEndpointInput {
  @Field(() => ID, { description: "The endpoint's id" })
  id!: string;
}

@InputType("RedeliverWebhookInput", { description: "Which delivery to send again" })
export class RedeliverWebhookInput {
  @Field(() => ID, { description: "The delivery's id" })
  deliveryId!: string;
}

@ObjectType("CreateWebhookEndpointPayload", { description: "The result of createWebhookEndpoint" })
export class CreateWebhookEndpointPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: "The new endpoint; null when userErrors is not empty" })
  webhookEndpoint!: WebhookEndpoint | null;
  @Field(() => String, { nullable: true, description: "whsec_ followed by base64: the signing secret, shown this once" })
  secret!: string | null;
  @Field(() => [UserError], { description: "Why nothing was created; empty on success" })
  userErrors!: UserError[];
}

@ObjectType("UpdateWebhookEndpointPayload", { description: "The result of updateWebhookEndpoint" })
export class UpdateWebhookEndpointPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: "The endpoint as it is now" })
  webhookEndpoint!: WebhookEndpoint | null;
  @Field(() => [UserError], { description: "Why nothing was changed; empty on success" })
  userErrors!: UserError[];
}

@ObjectType("DeleteWebhookEndpointPayload", { description: "The result of deleteWebhookEndpoint" })
export class DeleteWebhookEndpointPayload {
  @Field(() => ID, { nullable: true, description: "The id of the endpoint deleted, with its deliveries" })
  deletedWebhookEndpointId!: string | null;
  @Field(() => [UserError], { description: "Why nothing was deleted; empty on success" })
  userErrors!: UserError[];
}

@ObjectType("RotateWebhookSecretPayload", { description: "The result of rotateWebhookSecret" })
export class RotateWebhookSecretPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: "The endpoint" })
  webhookEndpoint!: WebhookEndpoint | null;
  @Field(() => String, { nullable: true, description: "The new secret, shown this once; the old one keeps signing alongside it for 24 hours" })
  secret!: string | null;
  @Field(() => [UserError], { description: "Why nothing was rotated; empty on success" })
  userErrors!: UserError[];
}

@ObjectType("RedeliverWebhookPayload", { description: "The result of redeliverWebhook" })
export class RedeliverWebhookPayload {
  @Field(() => WebhookDelivery, { nullable: true, description: "The delivery, PENDING again" })
  delivery!: WebhookDelivery | null;
  @Field(() => [UserError], { description: "Why nothing was queued; empty on success" })
  userErrors!: UserError[];
}
