import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { WebhookEndpoint } from "./webhook-endpoint.entity";
import { WebhookDelivery, WebhookDeliveryStatus } from "./webhook-delivery.entity";
import { WebhookService } from "./webhook.service";
import {
  CreateWebhookEndpointInput,
  CreateWebhookEndpointPayload,
  DeleteWebhookEndpointPayload,
  RedeliverWebhookInput,
  RedeliverWebhookPayload,
  RotateWebhookSecretPayload,
  UpdateWebhookEndpointInput,
  UpdateWebhookEndpointPayload,
  WebhookDeliveryConnection,
  WebhookEndpointConnection,
  WebhookEndpointInput,
} from "./webhook.types";
import { AuditEntry } from "../audit/audit-entry.entity";
import { AuditLog } from "../audit/audit-log";
import { Domain } from "../domains/domain.entity";
import { RequestContext, actionContext, principalOf } from "../graphql/context";
import { Connection, checkPageSize, decodeCursor, DEFAULT_PAGE_SIZE } from "../shared/pagination";
import { FirstArg } from "../graphql/connection";
import { localIdOf, toGlobalId } from "../graphql/global-id";
import { notFound } from "../shared/errors";
import { RateLimited, RateLimitQuota } from "../graphql/rate-limits";

/** Translates ids and maps results; every rule lives in WebhookService. */
@Resolver(() => WebhookEndpoint)
export class WebhookEndpointResolver {
  constructor(private readonly service: WebhookService) {}

  @Query(() => WebhookEndpointConnection, { description: "The account's webhook endpoints, newest first" })
  async webhookEndpoints(
    @FirstArg(DEFAULT_PAGE_SIZE) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "Cursor to continue after (endCursor of the previous page)" })
    after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Connection<WebhookEndpoint>> {
    const page = { first: checkPageSize(first, DEFAULT_PAGE_SIZE), after: after ? decodeCursor(after) : null };
    return this.service.list(principalOf(ctx), page);
  }

  @Mutation(() => CreateWebhookEndpointPayload, { description: "Create a webhook endpoint; its signing secret is in the payload, and only there" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async createWebhookEndpoint(
    @Arg("input", () => CreateWebhookEndpointInput, { description: "The URL, and optionally which actions and which domain" })
    input: CreateWebhookEndpointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<CreateWebhookEndpointPayload> {
    const action = actionContext(ctx);
    let domainId: string | null = null;
    if (input.domainId) {
      domainId = localIdOf(input.domainId, "Domain", "input.domainId");
      if (!domainId) return { webhookEndpoint: null, secret: null, userErrors: [notFound("domain", ["input", "domainId"])] };
    }
    const result = await this.service.create(action, { url: input.url, actions: input.actions, domainId });
    return result.ok
      ? { webhookEndpoint: result.endpoint, secret: result.secret, userErrors: [] }
      : { webhookEndpoint: null, secret: null, userErrors: [result.error] };
  }

  @Mutation(() => UpdateWebhookEndpointPayload, { description: "Change an endpoint's URL or actions, or re-enable it" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async updateWebhookEndpoint(
    @Arg("input", () => UpdateWebhookEndpointInput, { description: "The endpoint and what to change" }) input: UpdateWebhookEndpointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<UpdateWebhookEndpointPayload> {
    const action = actionContext(ctx);
    const id = localIdOf(input.id, "WebhookEndpoint", "input.id");
    const result = id ? await this.service.update(action, { ...input, id }) : { ok: false as const, error: notFound("webhook endpoint") };
    return result.ok ? { webhookEndpoint: result.endpoint, userErrors: [] } : { webhookEndpoint: null, userErrors: [result.error] };
  }

  @Mutation(() => DeleteWebhookEndpointPayload, { description: "Delete an endpoint and its deliveries; nothing more is sent to it" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async deleteWebhookEndpoint(
    @Arg("input", () => WebhookEndpointInput, { description: "The endpoint to delete" }) input: WebhookEndpointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<DeleteWebhookEndpointPayload> {
    const action = actionContext(ctx);
    const id = localIdOf(input.id, "WebhookEndpoint", "input.id");
    const result = id ? await this.service.delete(action, id) : { ok: false as const, error: notFound("webhook endpoint") };
    return result.ok
      ? { deletedWebhookEndpointId: toGlobalId("WebhookEndpoint", result.deletedId), userErrors: [] }
      : { deletedWebhookEndpointId: null, userErrors: [result.error] };
  }

  @Mutation(() => RotateWebhookSecretPayload, { description: "Issue a new signing secret; the old one keeps signing beside it for 24 hours" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async rotateWebhookSecret(
    @Arg("input", () => WebhookEndpointInput, { description: "The endpoint whose secret to rotate" }) input: WebhookEndpointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<RotateWebhookSecretPayload> {
    const action = actionContext(ctx);
    const id = localIdOf(input.id, "WebhookEndpoint", "input.id");
    const result = id ? await this.service.rotateSecret(action, id) : { ok: false as const, error: notFound("webhook endpoint") };
    return result.ok
      ? { webhookEndpoint: result.endpoint, secret: result.secret, userErrors: [] }
      : { webhookEndpoint: null, secret: null, userErrors: [result.error] };
  }

  @Mutation(() => RedeliverWebhookPayload, { description: "Send a delivery again (one more attempt), with the same webhook-id" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async redeliverWebhook(
    @Arg("input", () => RedeliverWebhookInput, { description: "The delivery to send again" }) input: RedeliverWebhookInput,
    @Ctx() ctx: RequestContext,
  ): Promise<RedeliverWebhookPayload> {
    const action = actionContext(ctx);
    const id = localIdOf(input.deliveryId, "WebhookDelivery", "input.deliveryId");
    const result = id ? await this.service.redeliver(action, id) : { ok: false as const, error: notFound("webhook delivery", ["input", "deliveryId"]) };
    return result.ok ? { delivery: result.delivery, userErrors: [] } : { delivery: null, userErrors: [result.error] };
  }

  @FieldResolver(() => ID, { description: "Opaque, globally unique; accepted by node(id:)" })
  id(@Root() endpoint: WebhookEndpoint): string {
    return toGlobalId("WebhookEndpoint", endpoint.id);
  }

  @FieldResolver(() => Domain, { nullable: true, description: "Only this domain's entries when set; null for all, and once that domain is removed" })
  async domain(@Root() endpoint: WebhookEndpoint, @Ctx() ctx: RequestContext): Promise<Domain | null> {
    return endpoint.domainId ? ctx.loaders.domainById.load(endpoint.domainId) : null;
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: "Deliveries to this endpoint, newest first, with every attempt's outcome" })
  async deliveries(
    @Root() endpoint: WebhookEndpoint,
    @FirstArg(DEFAULT_PAGE_SIZE) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "Cursor to continue after" }) after: string | null,
    @Arg("status", () => WebhookDeliveryStatus, { nullable: true, description: "Only deliveries in this state" })
    status: WebhookDeliveryStatus | null,
  ): Promise<Connection<WebhookDelivery>> {
    const page = { first: checkPageSize(first, DEFAULT_PAGE_SIZE), after: after ? decodeCursor(after) : null };
    return this.service.deliveries(endpoint, page, status);
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  constructor(private readonly audit: AuditLog) {}

  @FieldResolver(() => ID, { description: "Opaque, globally unique; accepted by node(id:) and redeliverWebhook" })
  id(@Root() delivery: WebhookDelivery): string {
    return toGlobalId("WebhookDelivery", delivery.id);
  }

  @FieldResolver(() => AuditEntry, { description: "The audit entry delivered: the body's data" })
  async entry(@Root() delivery: WebhookDelivery): Promise<AuditEntry> {
    const entry = await this.audit.findInAccount(delivery.accountId, delivery.entryId);
    if (!entry) throw new Error(`audit entry ${delivery.entryId} of delivery ${delivery.id} is missing`);
    return entry;
  }
}
