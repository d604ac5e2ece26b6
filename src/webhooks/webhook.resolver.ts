import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
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
import type { RequestContext } from "../graphql/context";
import { Connection, DEFAULT_PAGE_SIZE } from "../shared/pagination";
import { AFTER_PREVIOUS_PAGE, ConnectionArgs } from "../graphql/connection";
import { toGlobalId, withLocalId } from "../graphql/global-id";
import { CurrentAction, CurrentPrincipal } from "../graphql/current-principal";
import { toPayload } from "../graphql/payload";
import type { ActionContext, Principal } from "../shared/principal";
import { RateLimited, RateLimitQuota } from "../graphql/rate-limits";

/** Translates ids and maps results; every rule lives in WebhookService. */
@Resolver(() => WebhookEndpoint)
export class WebhookEndpointResolver {
  constructor(private readonly service: WebhookService) {}

  @Query(() => WebhookEndpointConnection, { description: "The account's webhook endpoints, newest first" })
  async webhookEndpoints(
    @ConnectionArgs(DEFAULT_PAGE_SIZE, AFTER_PREVIOUS_PAGE) page: ConnectionArgs,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Connection<WebhookEndpoint>> {
    return this.service.list(principal, page.toPage());
  }

  @Mutation(() => CreateWebhookEndpointPayload, { description: "Create a webhook endpoint; its signing secret is in the payload, and only there" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async createWebhookEndpoint(
    @Arg("input", () => CreateWebhookEndpointInput, { description: "The URL, and optionally which actions and which domain" })
    input: CreateWebhookEndpointInput,
    @CurrentAction() action: ActionContext,
  ): Promise<CreateWebhookEndpointPayload> {
    // An empty domainId means every domain, as an omitted one does.
    const result = await withLocalId(input.domainId || null, "Domain", ["input", "domainId"], (domainId) =>
      this.service.create(action, { url: input.url, actions: input.actions, domainId }),
    );
    return toPayload(result, ({ endpoint, secret }) => ({ webhookEndpoint: endpoint, secret }), { webhookEndpoint: null, secret: null });
  }

  @Mutation(() => UpdateWebhookEndpointPayload, { description: "Change an endpoint's URL or actions, or re-enable it" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async updateWebhookEndpoint(
    @Arg("input", () => UpdateWebhookEndpointInput, { description: "The endpoint and what to change" }) input: UpdateWebhookEndpointInput,
    @CurrentAction() action: ActionContext,
  ): Promise<UpdateWebhookEndpointPayload> {
    const result = await withLocalId(input.id, "WebhookEndpoint", ["input", "id"], (id) => this.service.update(action, { ...input, id }));
    return toPayload(result, ({ endpoint }) => ({ webhookEndpoint: endpoint }), { webhookEndpoint: null });
  }

  @Mutation(() => DeleteWebhookEndpointPayload, { description: "Delete an endpoint and its deliveries; nothing more is sent to it" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async deleteWebhookEndpoint(
    @Arg("input", () => WebhookEndpointInput, { description: "The endpoint to delete" }) input: WebhookEndpointInput,
    @CurrentAction() action: ActionContext,
  ): Promise<DeleteWebhookEndpointPayload> {
    const result = await withLocalId(input.id, "WebhookEndpoint", ["input", "id"], (id) => this.service.delete(action, id));
    return toPayload(
      result,
      ({ deletedId }) => ({ deletedWebhookEndpointId: toGlobalId("WebhookEndpoint", deletedId) }),
      { deletedWebhookEndpointId: null },
    );
  }

  @Mutation(() => RotateWebhookSecretPayload, { description: "Issue a new signing secret; the old one keeps signing beside it for 24 hours" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async rotateWebhookSecret(
    @Arg("input", () => WebhookEndpointInput, { description: "The endpoint whose secret to rotate" }) input: WebhookEndpointInput,
    @CurrentAction() action: ActionContext,
  ): Promise<RotateWebhookSecretPayload> {
    const result = await withLocalId(input.id, "WebhookEndpoint", ["input", "id"], (id) => this.service.rotateSecret(action, id));
    return toPayload(result, ({ endpoint, secret }) => ({ webhookEndpoint: endpoint, secret }), { webhookEndpoint: null, secret: null });
  }

  @Mutation(() => RedeliverWebhookPayload, { description: "Send a delivery again (one more attempt), with the same webhook-id" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async redeliverWebhook(
    @Arg("input", () => RedeliverWebhookInput, { description: "The delivery to send again" }) input: RedeliverWebhookInput,
    @CurrentAction() action: ActionContext,
  ): Promise<RedeliverWebhookPayload> {
    const result = await withLocalId(input.deliveryId, "WebhookDelivery", ["input", "deliveryId"], (id) => this.service.redeliver(action, id));
    return toPayload(result, ({ delivery }) => ({ delivery }), { delivery: null });
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
    @ConnectionArgs(DEFAULT_PAGE_SIZE) page: ConnectionArgs,
    @Arg("status", () => WebhookDeliveryStatus, { nullable: true, description: "Only deliveries in this state" })
    status: WebhookDeliveryStatus | null,
  ): Promise<Connection<WebhookDelivery>> {
    return this.service.deliveries(endpoint, page.toPage(), status);
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
