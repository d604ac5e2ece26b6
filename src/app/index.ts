import type express from "express";
import type { GraphQLSchema } from "graphql";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../shared/config";
import type { Metrics } from "./metrics";
import type { Principal } from "../shared/principal";
import type { Database } from "../db/database";
import { Authenticator } from "../auth/authenticator";
import { oidcServiceAccounts } from "../auth/oidc-service-accounts";
import { DEV_SUBJECT, mintToken, resolveJwtSecret } from "../auth/dev-credentials";
import type { AuditLog } from "../audit/audit-log";
import { AuditResolver } from "../audit/audit.resolver";
import type { DomainService } from "../domains/domain.service";
import type { VerificationService } from "../domains/verification.service";
import { AuditEntryDomainResolver, DomainResolver, ViewerDomainsResolver } from "../domains/domain.resolver";
import { createDomainLoader } from "../domains/domain.loaders";
import { ViewerResolver } from "../auth/viewer.resolver";
import { AdminResolver } from "../admin/admin.resolver";
import type { Maintenance } from "../admin/maintenance";
import type { Scheduler } from "../scheduler/scheduler";
import { NodeResolver } from "../graphql/node.resolver";
import type { ApiKeyService } from "../api-keys/api-key.service";
import { ApiKeyResolver } from "../api-keys/api-key.resolver";
import { apiKeyStrategy } from "../api-keys/api-key.strategy";
import { createRateLimiting } from "../graphql/rate-limits";
import { authFailureLimit } from "../graphql/rate-limits/auth-failures";
import { depthLimitRule } from "../graphql/depth-limit";
import { RequestLoaders, principalOf } from "../graphql/context";
import type { Credentials } from "../credentials";
import { createCredentialsHttp } from "../credentials/http";
import type { EventBus } from "../events/event-bus";
import { EventsResolver } from "../events/events.resolver";
import { EventSubscriptionResolver } from "../events/subscription.resolver";
import type { WebhookService } from "../webhooks/webhook.service";
import { WebhookDeliveryResolver, WebhookEndpointResolver } from "../webhooks/webhook.resolver";
import type { DeliveryWorker } from "../webhooks/delivery-worker";
import { Core, CoreOverrides, createCore } from "./core";
import { DomainAuditLogResolver, buildApiSchema, resolverContainer } from "./schema";
import { startGraphqlServer } from "./graphql-server";
import { GRAPHQL_PATH, createHttpServer } from "./http-server";
import { ShutdownStep, shutdownInOrder } from "./shutdown";

/** What tests swap out; the server always takes the defaults. */
export interface AppOverrides extends CoreOverrides {
  /** False turns the per-request loaders' batching off: the benchmark's control run, which shows what batching saves. */
  batching?: boolean;
}

export interface App {
  config: Config;
  /** Migrations this start applied (empty when the database was up to date). */
  migrationsApplied: string[];
  dataSource: DataSource;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  schema: GraphQLSchema;
  domains: DomainService;
  verification: VerificationService;
  apiKeys: ApiKeyService;
  credentials: Credentials;
  audit: AuditLog;
  /** Runs while SCHEDULER_ENABLED; tests that leave it off drive it with runOnce(). */
  scheduler: Scheduler;
  maintenance: Maintenance;
  webhooks: WebhookService;
  /** Runs while WEBHOOK_WORKER_ENABLED; tests that leave it off drive it with runOnce(). */
  deliveryWorker: DeliveryWorker;
  /** Wakes subscriptions and the delivery worker when audit entries commit (across instances with REDIS_URL). */
  events: EventBus;
  authenticator: Authenticator;
  /** A bearer token for the development account, when a development secret was made. */
  devToken: string | null;
  /** The secret JWTs are checked with (configured, or the development one). */
  jwtSecret: string | null;
  express: express.Express;
  /** Starts listening; resolves to the base URL, e.g. http://127.0.0.1:4000 */
  listen(port?: number, host?: string): Promise<string>;
  /** Starts the mutual-TLS port (TLS_PORT); resolves to its base URL, e.g. https://127.0.0.1:4443 */
  listenTls(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** How far back live subscriptions re-read for entries that committed out of order (see entryStream). */
const SUBSCRIPTION_LOOKBACK_MS = 5000;

/** The composition root: main.ts and every test build the service through here. */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const core = await createCore(config, overrides);
  // What a start that fails half-way has opened, closed again newest first: a refused start leaves no connection behind.
  const opened: ShutdownStep[] = [];
  try {
    return await assemble(core, config, overrides, opened);
  } catch (error) {
    for (const step of opened.reverse()) await step.close().catch(() => undefined);
    await core.close().catch(() => undefined);
    throw error;
  }
}

async function assemble(core: Core, config: Config, overrides: AppOverrides, opened: ShutdownStep[]): Promise<App> {
  const batching = overrides.batching ?? true;
  const { logger, clock, metrics, db, audit, domains, verification, apiKeys, maintenance, webhooks, scheduler, deliveryWorker, events } = core;

  const resolvedSecret = resolveJwtSecret(config);
  const devSecret = resolvedSecret?.development ? resolvedSecret.secret : null;
  const jwtSecret = resolvedSecret?.secret ?? null;
  const authenticator = new Authenticator({ ...config.auth, jwtSecret: jwtSecret ?? undefined });
  if (config.auth.adminOidc) authenticator.use(oidcServiceAccounts(config.auth.adminOidc));
  const devToken = devSecret ? await mintToken(devSecret, DEV_SUBJECT) : null;
  authenticator.use(apiKeyStrategy(apiKeys));
  const credentialsHttp = await createCredentialsHttp(core.credentials, config.credentials);
  const credentials: Credentials = { ...core.credentials, ...credentialsHttp };
  authenticator.useCertificates((der) => credentials.certificates.authenticate(der));
  const rateLimiting = createRateLimiting(config.rateLimits, logger);
  opened.push({ name: "rate-limit store", close: () => rateLimiting.store.close() });
  const authFailures = authFailureLimit(rateLimiting.store, logger);

  const schema = await buildApiSchema(
    resolverContainer([
      new DomainResolver(domains, verification, clock, config.dns.cnameZone),
      new AuditResolver(audit),
      new ViewerResolver(),
      new ViewerDomainsResolver(domains),
      new AuditEntryDomainResolver(),
      new DomainAuditLogResolver(),
      new ApiKeyResolver(apiKeys, clock),
      new NodeResolver({
        Domain: (localId, ctx) => domains.findOwned(principalOf(ctx), localId),
        AuditEntry: (localId, ctx) => audit.findOwned(principalOf(ctx), localId),
        ApiKey: (localId, ctx) => apiKeys.findOwned(principalOf(ctx), localId),
        ...credentials.nodeFetchers,
        WebhookEndpoint: (localId, ctx) => webhooks.findOwned(principalOf(ctx), localId),
        WebhookDelivery: (localId, ctx) => webhooks.findDelivery(principalOf(ctx), localId),
      }),
      new AdminResolver(domains, maintenance),
      ...credentials.resolvers,
      new EventsResolver(audit),
      new EventSubscriptionResolver(),
      new WebhookEndpointResolver(webhooks),
      new WebhookDeliveryResolver(audit),
      rateLimiting.middleware,
    ]),
  );

  /** Every feature's per-request loaders, fresh for each request (and each subscription event). */
  const requestLoaders = (principal: Principal | null, batch: boolean): RequestLoaders => ({
    audit: audit.createLoaders(batch),
    domainById: createDomainLoader(domains, principal, batch),
  });

  const apollo = await startGraphqlServer({
    schema,
    config,
    logger,
    metrics,
    rateLimitPlugin: rateLimiting.plugin,
    canMintTokens: jwtSecret !== null,
  });
  opened.push({ name: "GraphQL server", close: () => apollo.stop() });
  const http = createHttpServer({
    config,
    logger,
    metrics,
    schema,
    apollo,
    authenticator,
    authFailures,
    rateLimitStore: rateLimiting.store,
    credentials,
    requestLoaders: (principal) => requestLoaders(principal, batching),
    ping: { database: () => db.ping(), rateLimitStore: () => rateLimiting.store.ping() },
    devToken,
  });

  // Subscriptions (graphql-ws on the API's path) start with listen(): tests that never listen never load ws.
  let subscriptions: { close(): Promise<void> } | null = null;
  const startSubscriptions = async () => {
    const { startSubscriptionServer } = await import("../events/websocket-server");
    subscriptions = startSubscriptionServer({
      httpServer: http.httpServer,
      path: GRAPHQL_PATH,
      schema,
      authenticator,
      authFailures,
      audit,
      createLoaders: (principal: Principal) => requestLoaders(principal, true),
      bus: events,
      logger,
      validationRules: [depthLimitRule(config.graphql.maxDepth)],
      queryLimits: {
        maxComplexity: config.graphql.maxComplexity,
        maxAliases: config.graphql.maxAliases,
        maxTokens: config.graphql.maxTokens,
        maxSelections: config.graphql.maxSelections,
      },
      maxPayloadBytes: config.graphql.maxBodyBytes,
      hideSuggestions: config.env === "production",
      clientIpOf: http.clientIpOf,
      ...config.subscriptions,
      lookbackMs: SUBSCRIPTION_LOOKBACK_MS,
    });
  };
  if (config.scheduler.enabled) scheduler.start();
  if (config.webhooks.workerEnabled) deliveryWorker.start();

  /**
   * Shutdown, in order. A feature that holds a server, a socket or a worker adds its step here,
   * before the database.
   */
  const shutdownSteps: ShutdownStep[] = [
    // Requests in flight and the scheduler's batch in hand both still write to the database.
    {
      // WebSocket clients are told to go at the same time: their sockets would hold the HTTP server open.
      name: "HTTP requests, subscriptions and scheduled checks",
      close: () => Promise.all([http.drain(), subscriptions?.close(), core.shutdownSteps.scheduledChecks.close()]),
    },
    core.shutdownSteps.deliveriesAndEvents,
    { name: "GraphQL server", close: () => apollo.stop() },
    { name: "rate-limit store", close: () => rateLimiting.store.close() },
    core.shutdownSteps.database,
  ];

  return {
    config,
    migrationsApplied: core.migrationsApplied,
    dataSource: core.dataSource,
    db,
    logger,
    metrics,
    schema,
    domains,
    verification,
    apiKeys,
    credentials,
    audit,
    scheduler,
    maintenance,
    webhooks,
    deliveryWorker,
    events,
    authenticator,
    devToken,
    jwtSecret,
    express: http.express,
    async listen(port = config.port, host = config.host) {
      if (!subscriptions) await startSubscriptions();
      return http.listen(port, host);
    },
    listenTls: (port = config.credentials.tls?.port, host = config.host) => http.listenTls(port, host),
    close: shutdownInOrder(shutdownSteps, logger),
  };
}
