import http from "node:http";
import type https from "node:https";
import type { AddressInfo } from "node:net";
import express, { NextFunction, Request, Response } from "express";
import { ApolloServer } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import type { GraphQLSchema } from "graphql";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../shared/config";
import { Clock, systemClock } from "../shared/clock";
import { createLogger } from "../shared/logger";
import { openDataSource } from "../db/data-source";
import { entities } from "./entities";
import { Database } from "../db/database";
import { runMigrations } from "../db/migrate";
import { Authenticator } from "../auth/authenticator";
import { oidcServiceAccounts } from "../auth/oidc-service-accounts";
import { DEV_SUBJECT, mintToken, resolveJwtSecret } from "../auth/dev-credentials";
import { AuditLog } from "../audit/audit-log";
import { AuditResolver, domainAuditLogResolver } from "../audit/audit.resolver";
import { DomainService } from "../domains/domain.service";
import { SqlDomainStore } from "../domains/domain.store";
import { VerificationService } from "../domains/verification.service";
import { AuditEntryDomainResolver, DomainResolver, ViewerDomainsResolver } from "../domains/domain.resolver";
import { Domain } from "../domains/domain.entity";
import { createDomainLoader } from "../domains/domain.loaders";
import { ViewerResolver } from "../auth/viewer.resolver";
import { AdminResolver } from "../admin/admin.resolver";
import { Maintenance } from "../admin/maintenance";
import { DomainLeases } from "../scheduler/domain-leases";
import { CheckRunner } from "../scheduler/check-runner";
import { Scheduler, leaseDuration } from "../scheduler/scheduler";
import { NodeResolver } from "../graphql/node.resolver";
import { ApiKeyService } from "../api-keys/api-key.service";
import { ApiKeyResolver } from "../api-keys/api-key.resolver";
import { apiKeyStrategy } from "../api-keys/api-key.strategy";
import { createRateLimiting } from "../graphql/rate-limits";
import { authFailureLimit } from "../graphql/rate-limits/auth-failures";
import { depthLimitRule } from "../graphql/depth-limit";
import { ErrorCode, httpErrorBody } from "../graphql/errors";
import { batchLimit } from "../graphql/batch-limit";
import { queryLimits } from "../graphql/query-limits";
import { buildApiSchema } from "../graphql/schema";
import { createFormatError } from "../graphql/format-error";
import { requestLifecyclePlugin } from "../graphql/plugins/request-lifecycle";
import { jitGateway } from "../graphql/jit-executor";
import { graphiqlRouter } from "../graphql/graphiql";
import { RequestContext, RequestLoaders, principalOf } from "../graphql/context";
import type { Principal } from "../shared/principal";
import { createDomainVerifier } from "../verification/client";
import type { DomainVerifier } from "../verification/types";
import { formatDnsServer } from "../shared/dns-servers";
import { createMetrics, Metrics, metricsAccess } from "../shared/metrics";
import { createCredentials, Credentials } from "../credentials";
import { requestId } from "./request-id";
import { HttpDrain } from "./drain";
import { EventBus } from "../events/event-bus";
import { signalCommittedEntries } from "../events/commit-signal";
import { EventsResolver } from "../events/events.resolver";
import { EventSubscriptionResolver } from "../events/subscription.resolver";
import { WebhookService } from "../webhooks/webhook.service";
import { WebhookDeliveryResolver, WebhookEndpointResolver } from "../webhooks/webhook.resolver";
import { DeliveryWorker } from "../webhooks/delivery-worker";
import type { Resolve } from "../webhooks/webhook-url";

/** What tests swap out (and the CLI, its logger); the server always takes the defaults. */
export interface AppOverrides {
  clock?: Clock;
  verifier?: DomainVerifier;
  logger?: Logger;
  /** Sees every SQL statement; used to prove batching. */
  onQuery?: (sql: string) => void;
  /** False turns the per-request loaders' batching off: the benchmark's control run, which shows what batching saves. */
  batching?: boolean;
  /** How webhook host names are resolved (SSRF tests). */
  webhookResolve?: Resolve;
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

const GRAPHQL_PATH = "/graphql";

/** How far back live subscriptions re-read for entries that committed out of order (see entryStream). */
const SUBSCRIPTION_LOOKBACK_MS = 5000;

/** The composition root: main.ts, the CLI and every test build the service through here. */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const metrics = createMetrics();
  const configuredServers = new Set(config.dns.resolvers.map(formatDnsServer));
  const batching = overrides.batching ?? true;

  const dataSource = await openDataSource(config.databaseUrl, { entities, onQuery: overrides.onQuery });
  let migrationsApplied: string[];
  try {
    migrationsApplied = await runMigrations(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  const db = new Database(dataSource);

  const resolvedSecret = resolveJwtSecret(config);
  const devSecret = resolvedSecret?.development ? resolvedSecret.secret : null;
  const jwtSecret = resolvedSecret?.secret ?? null;
  const authenticator = new Authenticator({ ...config.auth, jwtSecret: jwtSecret ?? undefined });
  if (config.auth.adminOidc) authenticator.use(oidcServiceAccounts(config.auth.adminOidc));
  const devToken = devSecret ? await mintToken(devSecret, DEV_SUBJECT) : null;

  const verifier =
    overrides.verifier ??
    createDomainVerifier({
      ...config.dns,
      servers: config.dns.resolvers,
      clock,
      onLookup: ({ server, answer, durationMs }) => {
        // Labels come from configuration only: nameservers are named by claimants' NS records.
        const label = config.dns.mode === "authoritative" ? "nameserver" : configuredServers.has(server) ? server : "other";
        metrics.dnsLookups.inc({ server: label, answer });
        metrics.dnsLookupDuration.observe({ answer }, durationMs / 1000);
      },
    });
  const audit = new AuditLog(db, clock);
  const domainStore = new SqlDomainStore(db, clock);
  const domains = new DomainService(domainStore, db, audit, clock, {
    maxPerAccount: config.domains.maxPerAccount,
    tokenTtlMs: config.domains.tokenTtlMs,
    schedule: config.domains,
  });
  const verification = new VerificationService(domainStore, db, audit, verifier, clock, {
    tokenTtlMs: config.domains.tokenTtlMs,
    cnameZone: config.dns.cnameZone,
    schedule: config.domains,
    tokenExpiryWarningMs: config.domains.tokenExpiryWarningMs,
    onCheckRecorded: (check) => metrics.verifications.inc({ outcome: check.outcome }),
  });
  const leases = new DomainLeases(db, clock);
  const runner = new CheckRunner(verification, verifier, clock, { concurrency: config.dns.concurrency, logger });
  const leaseMs = leaseDuration(config.scheduler.batchSize, config.dns.concurrency, config.dns.timeoutMs);
  const scheduler = new Scheduler(leases, runner, { ...config.scheduler, leaseMs, logger, metrics, tokenWarnings: verification });
  const maintenance = new Maintenance(domainStore, domains, verification, leases, runner, clock, {
    batchSize: config.scheduler.batchSize,
    leaseMs,
    cleanupAfterMs: config.domains.cleanupAfterMs,
  });

  const apiKeys = new ApiKeyService(db, domainStore, audit, clock, {
    allowAdminKeys: config.auth.adminAllowApiKeys,
    adminUserIds: config.auth.adminUserIds,
    adminEmails: config.auth.adminEmails,
    adminSecretConfigured: Boolean(config.auth.adminSecret),
    maxActivePerAccount: config.apiKeys.maxPerAccount,
  });
  authenticator.use(apiKeyStrategy(apiKeys));
  const credentials = await createCredentials({ config, db, audit, clock, domains, domainStore }).catch(async (error) => {
    // A CA or key the server refuses: nothing is listening yet, only the database to let go of.
    await dataSource.destroy();
    throw error;
  });
  authenticator.useCertificates((der) => credentials.certificates.authenticate(der));
  const rateLimiting = createRateLimiting(config.rateLimits, logger);
  const authFailures = authFailureLimit(rateLimiting.store, logger);

  // Events: every audit entry creates its webhook deliveries in its own transaction, and its commit wakes whoever listens.
  const events = new EventBus({ redisUrl: config.rateLimits.redisUrl, keyPrefix: config.rateLimits.redisKeyPrefix, logger });
  const webhooks = new WebhookService(db, domainStore, audit, clock, { ...config.webhooks, resolve: overrides.webhookResolve });
  audit.addListener((manager, entry) => webhooks.createDeliveries(manager, entry));
  signalCommittedEntries(dataSource, audit, events);
  const deliveryWorker = new DeliveryWorker(db, webhooks, clock, {
    ...config.webhooks,
    resolve: overrides.webhookResolve,
    batchSize: 50,
    pollMs: 1000,
    logger,
    onAttempt: (_delivery, outcome) => metrics.webhookAttempts.inc({ result: outcome.error ? "failed" : "delivered" }),
  });
  events.subscribe(() => deliveryWorker.wake());

  const schema = await buildApiSchema(
    [
      new DomainResolver(domains, verification, clock, config.dns.cnameZone),
      new AuditResolver(audit),
      new ViewerResolver(),
      new ViewerDomainsResolver(domains),
      new AuditEntryDomainResolver(),
      new (domainAuditLogResolver(Domain))(),
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
    ],
    [rateLimiting.middleware],
  );

  /** Every feature's per-request loaders, fresh for each request (and each subscription event). */
  const requestLoaders = (principal: Principal | null, batch: boolean): RequestLoaders => ({
    audit: audit.createLoaders(batch),
    domainById: createDomainLoader(domains, principal, batch),
  });

  const httpServer = http.createServer();
  const httpDrain = new HttpDrain(httpServer);
  const apollo = new ApolloServer<RequestContext>({
    // The schema comes through the gateway, which swaps graphql-js's execute for compiled queries.
    gateway: jitGateway(schema),
    // Shutdown is app.close()'s alone: Apollo's own signal handlers raced it and, on MariaDB,
    // left the process hanging (a second apollo.stop() waits on a barrier that never opens).
    stopOnTerminationSignals: false,
    introspection: config.graphql.introspection,
    csrfPrevention: true,
    // Batches are capped by batchLimit below, before Apollo sees them.
    allowBatchedHttpRequests: true,
    validationRules: [depthLimitRule(config.graphql.maxDepth)],
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.env === "production",
    formatError: createFormatError(logger, { hideSuggestions: config.env === "production" }),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      // In production tokens come from the operator's own tooling; a newcomer elsewhere is told the command.
      requestLifecyclePlugin(metrics, { signInHint: config.env !== "production" && jwtSecret !== null }),
      // After the lifecycle plugin, which refuses anonymous callers before anything is counted.
      rateLimiting.plugin,
    ],
    // A stored query would reach execution without passing queryLimits below, which reads the query text.
    persistedQueries: false,
  });
  await apollo.start();

  const app = express();
  app.disable("x-powered-by");
  // res.send would hash every response body (100 KB pages) for an ETag no GraphQL POST is ever revalidated with.
  app.set("etag", false);
  app.set("trust proxy", config.trustProxy);
  app.use(requestId());
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    if (httpDrain.isDraining) {
      res.status(503).json({ status: "shutting down" });
      return;
    }
    // Every mutation needs the rate-limit store too: with REDIS_URL set and Redis away, nothing could be served.
    const [database, rateLimitStore] = await Promise.all([db.ping(), rateLimiting.store.ping()]);
    const status = !database ? "database unreachable" : !rateLimitStore ? "redis unreachable" : "ready";
    res.status(status === "ready" ? 200 : 503).json({ status });
  });
  app.get("/metrics", metricsAccess(config.metrics), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(credentials.router);
  app.use(
    graphiqlRouter({
      endpoint: GRAPHQL_PATH,
      // A development token exists only outside production.
      defaultHeaders: devToken ? { Authorization: `Bearer ${devToken}` } : undefined,
    }),
  );
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: config.graphql.maxBodyBytes }),
    batchLimit(config.graphql.maxBatchOperations),
    authFailures.gate,
    queryLimits(schema, { maxComplexity: config.graphql.maxComplexity, maxAliases: config.graphql.maxAliases }),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<RequestContext> => {
        const clientIp = req.ip ?? "unknown";
        const authentication = await authenticator.authenticate(req.headers.authorization, await credentials.clientCertificateOf(req));
        await authFailures.record(clientIp, authentication);
        const { principal, ...rest } = authentication;
        return {
          requestId: req.requestId,
          principal,
          authProblem: "problem" in rest ? rest.problem : null,
          clientIp,
          log: logger.child({ requestId: req.requestId, clientIp }),
          loaders: requestLoaders(principal, batching),
        };
      },
    }),
  );
  app.use(httpErrorHandler(logger, config.graphql.maxBodyBytes));
  httpServer.on("request", app);
  const tlsServer: https.Server | null = credentials.tlsServer;
  tlsServer?.on("request", app);
  const tlsDrain = tlsServer ? new HttpDrain(tlsServer) : null;
  // Subscriptions (graphql-ws on the API's path) start with listen(): the CLI never listens, and never loads ws.
  let subscriptions: { close(): Promise<void> } | null = null;
  const startSubscriptions = async () => {
    const { startSubscriptionServer } = await import("../events/websocket-server");
    subscriptions = startSubscriptionServer({
      httpServer,
      path: GRAPHQL_PATH,
      schema,
      authenticator,
      audit,
      createLoaders: (principal: Principal) => requestLoaders(principal, true),
      bus: events,
      logger,
      validationRules: [depthLimitRule(config.graphql.maxDepth)],
      ...config.subscriptions,
      lookbackMs: SUBSCRIPTION_LOOKBACK_MS,
    });
  };
  if (config.scheduler.enabled) scheduler.start();
  if (config.webhooks.workerEnabled) deliveryWorker.start();

  /**
   * Shutdown, in order; each step starts when the one before has finished, so nothing is closed
   * under work that still uses it. A feature that holds a server, a socket or a worker adds its
   * step here, before the database.
   */
  const shutdownSteps: { name: string; close: () => Promise<unknown> }[] = [
    // Requests in flight and the scheduler's batch in hand both still write to the database.
    {
      // WebSocket clients are told to go at the same time: their sockets would hold the HTTP server open.
      name: "HTTP requests, subscriptions and scheduled checks",
      close: () => Promise.all([httpDrain.drain(), tlsDrain?.drain(), subscriptions?.close(), scheduler.stop()]),
    },
    {
      // POSTs in hand get their outcome recorded while the database is still there.
      name: "webhook deliveries in hand and the event bus",
      close: async () => {
        await deliveryWorker.stop();
        await events.close();
      },
    },
    { name: "GraphQL server", close: () => apollo.stop() },
    { name: "rate-limit store", close: () => rateLimiting.store.close() },
    { name: "database", close: async () => dataSource.isInitialized && dataSource.destroy() },
  ];

  let closing: Promise<void> | null = null;
  return {
    config,
    migrationsApplied,
    dataSource,
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
    express: app,
    async listen(port = config.port, host = config.host) {
      if (!subscriptions) await startSubscriptions();
      return new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, host, () => {
          const address = httpServer.address() as AddressInfo;
          const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
          resolve(`http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${address.port}`);
        });
      });
    },
    listenTls(port = config.credentials.tls?.port, host = config.host) {
      if (!tlsServer) return Promise.reject(new Error("TLS_PORT is not set"));
      return new Promise((resolve, reject) => {
        tlsServer.once("error", reject);
        tlsServer.listen(port, host, () => {
          const address = tlsServer.address() as AddressInfo;
          const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
          resolve(`https://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${address.port}`);
        });
      });
    },
    close() {
      closing ??= (async () => {
        const failures: unknown[] = [];
        for (const step of shutdownSteps) {
          try {
            await step.close();
            logger.debug({ step: step.name }, "closed");
          } catch (error) {
            // The remaining steps still run: a failed Redis quit must not leave the database pool open.
            logger.error({ err: error, step: step.name }, "shutdown step failed");
            failures.push(error);
          }
        }
        if (failures.length) throw new AggregateError(failures, `shutdown: ${failures.length} step(s) failed`);
      })();
      return closing;
    },
  };
}

/** Body-parser and other HTTP-level failures answer in GraphQL's error shape, never Express's HTML page. */
function httpErrorHandler(logger: Logger, maxBodyBytes: number) {
  return (error: any, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = typeof error?.status === "number" && error.status >= 400 && error.status < 500 ? error.status : 500;
    const message =
      status === 413
        ? `The request body is too large: at most ${maxBodyBytes} bytes are accepted.`
        : status === 400
          ? "The request body is not valid JSON."
          : status < 500
            ? "The request could not be processed."
            : "Something went wrong on our side.";
    if (status >= 500) logger.error({ err: error, requestId: req.requestId }, "http error");
    const code = status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : status < 500 ? "BAD_REQUEST" : ErrorCode.INTERNAL_SERVER_ERROR;
    res.status(status).json(httpErrorBody(code, message));
  };
}
