import type { Logger } from "pino";
import type { Config } from "../shared/config";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import { defineModule } from "../graphql/feature-module";
import { principalOf } from "../graphql/context";
import type { AuditLog } from "../audit/audit-log";
import type { DomainStore } from "../domains/domain.store";
import type { Accounts } from "../accounts/accounts";
import { type DeliveryStore, SqlDeliveryStore } from "./delivery.store";
import { SqlWebhookEndpointStore } from "./webhook-endpoint.store";
import type { EventBus } from "../events/event-bus";
import { WebhookEndpoint } from "./webhook-endpoint.entity";
import { WebhookDelivery } from "./webhook-delivery.entity";
import { WebhookService } from "./webhook.service";
import { DeliveryWorker } from "./delivery-worker";
import { WebhookDeliveryResolver, WebhookEndpointResolver } from "./webhook.resolver";
import type { WebhookMetrics } from "./webhook.metrics";
import { type Resolve, webhookDnsResolve } from "./webhook-url";

export interface WebhooksDeps {
  config: Config;
  clock: Clock;
  db: Database;
  audit: AuditLog;
  logger: Logger;
  metrics: WebhookMetrics;
  domainStore: DomainStore;
  accounts: Accounts;
  events: EventBus;
  /** How endpoint host names are resolved; tests of the address checks swap it. */
  webhookResolve?: Resolve;
}

/** The service over the database, with the delivery store the worker shares; `resolve` looks up endpoint host names. */
export function createWebhookService({ config, clock, db, audit, domainStore, accounts }: WebhooksDeps, resolve: Resolve): { webhooks: WebhookService; deliveryStore: DeliveryStore } {
  const deliveryStore = new SqlDeliveryStore(db, clock);
  const webhooks = new WebhookService(new SqlWebhookEndpointStore(db), deliveryStore, db, domainStore, accounts, audit, clock, { ...config.webhooks, resolve });
  return { webhooks, deliveryStore };
}

/** Signed POSTs of audit entries to the account's endpoints, retried until they land or fail. */
export const webhooksModule = defineModule({
  name: "webhooks",
  entities: [WebhookEndpoint, WebhookDelivery],
  resolverClasses: [WebhookEndpointResolver, WebhookDeliveryResolver],
  create: (deps: WebhooksDeps) => {
    const { config, clock, db, audit, logger, metrics, events, webhookResolve } = deps;
    const resolve = webhookResolve ?? webhookDnsResolve(config.webhooks);
    const { webhooks, deliveryStore } = createWebhookService(deps, resolve);
    const deliveryWorker = new DeliveryWorker(db, deliveryStore, webhooks, clock, {
      ...config.webhooks,
      resolve,
      pollMs: 1000,
      logger,
      onAttempt: (_delivery, outcome) => metrics.webhookAttempts.inc({ result: outcome.error ? "failed" : "delivered" }),
    });
    // This process's own commits wake the worker only when they made deliveries due; another
    // instance's (through Redis) may have, and that instance's worker may be switched off.
    webhooks.onDeliveriesDue(() => deliveryWorker.wake());
    events.subscribe((_accountId, origin) => {
      if (origin === "remote") deliveryWorker.wake();
    });
    return {
      provides: { webhooks, deliveryWorker },
      resolvers: [new WebhookEndpointResolver(webhooks), new WebhookDeliveryResolver(audit)],
      nodeFetchers: {
        WebhookEndpoint: (localId, ctx) => webhooks.findOwned(principalOf(ctx), localId),
        WebhookDelivery: (localId, ctx) => webhooks.findDelivery(principalOf(ctx), localId),
      },
      // Every audit entry makes its deliveries in its own transaction.
      auditListeners: [(manager, entries) => webhooks.createDeliveries(manager, entries)],
      // POSTs in hand get their outcome recorded while the database is still there.
      workers: [{ name: "webhook deliveries", enabled: config.webhooks.workerEnabled, start: () => deliveryWorker.start(), stop: () => deliveryWorker.stop(), stopsWith: "after-requests" }],
    };
  },
});
