import type { GraphQLSchema } from "graphql";
import type { ContainerType, NonEmptyArray } from "type-graphql";
import { buildResolverSchema } from "../graphql/schema";
import { NodeResolver } from "../graphql/node.resolver";
import { AuditResolver, domainAuditLogResolver } from "../audit/audit.resolver";
import { AuditEntryDomainResolver, DomainResolver, ViewerDomainsResolver } from "../domains/domain.resolver";
import { Domain } from "../domains/domain.entity";
import { ViewerResolver } from "../auth/viewer.resolver";
import { AdminResolver } from "../admin/admin.resolver";
import { ApiKeyResolver } from "../api-keys/api-key.resolver";
import { credentialResolverClasses } from "../credentials/resolvers";
import { EventsResolver } from "../events/events.resolver";
import { EventSubscriptionResolver } from "../events/subscription.resolver";
import { WebhookDeliveryResolver, WebhookEndpointResolver } from "../webhooks/webhook.resolver";

/** Made once: the schema and the container must see the same class. */
export const DomainAuditLogResolver = domainAuditLogResolver(Domain);

/** Every resolver of the API; the running app supplies one instance of each (resolverContainer). */
export const apiResolverClasses: NonEmptyArray<Function> = [
  DomainResolver,
  AuditResolver,
  ViewerResolver,
  ViewerDomainsResolver,
  AuditEntryDomainResolver,
  DomainAuditLogResolver,
  ApiKeyResolver,
  NodeResolver,
  AdminResolver,
  ...credentialResolverClasses,
  EventsResolver,
  EventSubscriptionResolver,
  WebhookEndpointResolver,
  WebhookDeliveryResolver,
];

/** For a schema that is printed, never executed: nothing is there to resolve with. */
const printOnly: ContainerType = {
  get: (cls: Function) => {
    throw new Error(`${cls.name} was asked for by a schema built only to be printed`);
  },
};

export function buildApiSchema(container: ContainerType = printOnly): Promise<GraphQLSchema> {
  return buildResolverSchema(apiResolverClasses, container);
}

/**
 * Hands TypeGraphQL the app's instances (resolvers and middlewares), one per class. Checked at
 * start-up, so a resolver left out of the wiring stops the start instead of failing its first request.
 */
export function resolverContainer(instances: object[]): ContainerType {
  const byClass = new Map<Function, object>(instances.map((instance) => [instance.constructor, instance]));
  const missing = apiResolverClasses.filter((cls) => !byClass.has(cls));
  if (missing.length) throw new Error(`No instance of ${missing.map((cls) => cls.name).join(", ")} was wired`);
  return { get: (cls: Function) => byClass.get(cls) };
}
