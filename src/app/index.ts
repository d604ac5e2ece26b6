import type express from "express";
import type { GraphQLSchema } from "graphql";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../shared/config";
import type { Metrics } from "./metrics";
import type { Principal } from "../shared/principal";
import type { Database } from "../db/database";
import type { FeatureParts } from "../graphql/feature-module";
import { Authenticator } from "../auth/authenticator";
import { oidcServiceAccounts } from "../auth/oidc-service-accounts";
import { DEV_SUBJECT, mintToken, resolveJwtSecret } from "../auth/dev-credentials";
import { NodeResolver } from "../graphql/node.resolver";
import { createRateLimiting, type RateLimiting } from "../graphql/rate-limits";
import { authFailureLimit } from "../graphql/rate-limits/auth-failures";
import { depthLimitRule } from "../graphql/depth-limit";
import type { RequestLoaders } from "../graphql/context";
import type { Credentials } from "../credentials";
import { createCredentialsHttp } from "../credentials/http";
import { Core, CoreOverrides, createCore } from "./core";
import type { Provided } from "./modules";
import { buildApiSchema, resolverContainer } from "./schema";
import { startGraphqlServer } from "./graphql-server";
import { GRAPHQL_PATH, createHttpServer, type HttpServer } from "./http-server";
import { ShutdownStep, shutdownInOrder } from "./shutdown";
import { deadlineAfter, dependencyBounds, withinDeadline } from "../shared/deadline";
import { CHECK_TIMEOUT_MS, dnsResolversCheck, type DependencyCheck } from "./readiness";

/** What tests swap out; the server always takes the defaults. */
export interface AppOverrides extends CoreOverrides {
  /** False turns the per-request loaders' batching off: the benchmark's control run, which shows what batching saves. */
  batching?: boolean;
}

/** Every service the modules provide (domains, verification, apiKeys, scheduler, webhooks, deliveryWorker, events…), by name. */
type Services = Omit<Provided, "credentials">;

export interface App extends Services {
  config: Config;
  /** Migrations this start applied (empty when the database was up to date). */
  migrationsApplied: string[];
  dataSource: DataSource;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  schema: GraphQLSchema;
  credentials: Credentials;
  audit: Core["audit"];
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

/** The servers over the core: authentication, the schema from every module, Apollo, HTTP, subscriptions, workers. */
async function assemble(core: Core, config: Config, overrides: AppOverrides, opened: ShutdownStep[]): Promise<App> {
  const batching = overrides.batching ?? true;
  const { logger, metrics, db, parts } = core;
  const { authenticator, devToken, jwtSecret } = await authentication(config, parts);
  const credentials: Credentials = { ...core.credentials, ...(await createCredentialsHttp(core.credentials.ca, config.credentials)) };
  const rateLimiting = createRateLimiting(config.rateLimits, logger, {
    commandTimeoutMs: dependencyBounds(config.resilience.requestTimeoutMs).redisCommandMs,
    failClosed: config.resilience.rateLimitFailClosed,
    onDegraded: (degraded) => metrics.redisDegraded.set({ use: "rate limits" }, degraded ? 1 : 0),
  });
  opened.push({ name: "rate-limit store", close: () => rateLimiting.store.close() });
  const authFailures = authFailureLimit(rateLimiting.store, logger);
  const schema = await apiSchema(parts, rateLimiting);
  /** Every module's per-request loaders, fresh for each request (and each subscription event). */
  const requestLoaders = (principal: Principal | null, batch: boolean) =>
    Object.assign({}, ...parts.map((part) => part.loaders?.(principal, batch))) as RequestLoaders;

  const apollo = await startGraphqlServer({ schema, config, logger, metrics, rateLimitPlugin: rateLimiting.plugin, canMintTokens: jwtSecret !== null });
  opened.push({ name: "GraphQL server", close: () => apollo.stop() });
  const http = createHttpServer({
    config,
    logger,
    metrics,
    foreground: core.foreground,
    schema,
    apollo,
    authenticator,
    authFailures,
    rateLimitStore: rateLimiting.store,
    credentials,
    routes: await Promise.all(parts.flatMap((part) => (part.routes ? [part.routes()] : []))),
    requestLoaders: (principal) => requestLoaders(principal, batching),
    readinessChecks: readinessChecks(core, rateLimiting, credentials),
    devToken,
  });
  const subscriptions = subscriptionServer(core, { http, schema, authenticator, authFailures, createLoaders: (principal) => requestLoaders(principal, true) });
  for (const worker of parts.flatMap((part) => part.workers ?? [])) if (worker.enabled) worker.start();

  return {
    ...core,
    schema,
    credentials,
    authenticator,
    devToken,
    jwtSecret,
    express: http.express,
    async listen(port = config.port, host = config.host) {
      await subscriptions.start();
      return http.listen(port, host);
    },
    listenTls: (port = config.credentials.tls?.port, host = config.host) => http.listenTls(port, host),
    close: shutdownInOrder(serverShutdown(core, [http.drain, subscriptions.close], apollo, rateLimiting), logger),
  };
}

/**
 * Shutdown, in order. Requests in flight and the scheduler's batch in hand both still write to
 * the database; WebSocket clients are told to go at the same time, since their sockets would
 * hold the HTTP server open.
 */
function serverShutdown(core: Core, listeners: (() => Promise<unknown>)[], apollo: { stop(): Promise<void> }, rateLimiting: RateLimiting): ShutdownStep[] {
  const { scheduledChecks, deliveriesAndEvents, database } = core.shutdownSteps;
  return [
    {
      name: `HTTP requests, subscriptions and ${scheduledChecks.name}`,
      close: () => Promise.all([...listeners.map((close) => close()), scheduledChecks.close()]),
    },
    deliveriesAndEvents,
    { name: "GraphQL server", close: () => apollo.stop() },
    { name: "rate-limit store", close: () => rateLimiting.store.close() },
    database,
  ];
}

/**
 * What /readyz reports. The database is required. Redis is not, unless RATE_LIMIT_FAIL_CLOSED
 * makes every rate-limited call wait for it; without it rate limits count per instance and
 * subscriptions poll. Unreachable resolvers stop verifications, not the rest.
 */
function readinessChecks(core: Core, rateLimiting: RateLimiting, credentials: Credentials): DependencyCheck[] {
  const { config, db } = core;
  const redisConfigured = Boolean(config.rateLimits.redisUrl);
  return [
    { name: "database", required: true, check: async () => ((await withinDeadline(deadlineAfter(CHECK_TIMEOUT_MS), () => db.ping(CHECK_TIMEOUT_MS))) ? { state: "up" } : { state: "down" }) },
    {
      name: "redis",
      required: config.resilience.rateLimitFailClosed,
      async check() {
        if (!redisConfigured) return { state: "off", detail: "no REDIS_URL: rate limits and signals are this instance's own" };
        if (await rateLimiting.store.ping()) return { state: "up" };
        return { state: "down", detail: config.resilience.rateLimitFailClosed ? "rate-limited calls are refused" : "rate limits counted per instance; subscriptions poll" };
      },
    },
    dnsResolversCheck(config.dns.resolvers),
    {
      name: "credentials",
      required: false,
      async check() {
        const settings = config.credentials;
        const ca = settings.ca ? "configured CA loaded" : config.env === "production" ? "no CA (issuing off)" : "development CA (made at first use)";
        const keys = settings.attestationKeyFile ? "attestation keys loaded" : "development attestation keys";
        return { state: credentials.certificates ? "up" : "off", detail: `${ca}; ${keys}` };
      },
    },
  ];
}

/** JWTs (configured or development), the OIDC admin accounts, and the ways in that modules add. */
async function authentication(config: Config, parts: FeatureParts<unknown>[]) {
  const resolvedSecret = resolveJwtSecret(config);
  const devSecret = resolvedSecret?.development ? resolvedSecret.secret : null;
  const jwtSecret = resolvedSecret?.secret ?? null;
  const authenticator = new Authenticator({ ...config.auth, jwtSecret: jwtSecret ?? undefined });
  if (config.auth.adminOidc) authenticator.use(oidcServiceAccounts(config.auth.adminOidc));
  for (const part of parts) {
    for (const strategy of part.bearerStrategies ?? []) authenticator.use(strategy);
    if (part.certificateStrategy) authenticator.useCertificates(part.certificateStrategy);
  }
  const devToken = devSecret ? await mintToken(devSecret, DEV_SUBJECT) : null;
  return { authenticator, devToken, jwtSecret };
}

/** The API's schema over one instance of every module's resolvers, Query.node over all their node fetchers, and the rate limits. */
function apiSchema(parts: FeatureParts<unknown>[], rateLimiting: RateLimiting): Promise<GraphQLSchema> {
  const nodeFetchers = Object.assign({}, ...parts.map((part) => part.nodeFetchers));
  return buildApiSchema(resolverContainer([...parts.flatMap((part) => part.resolvers ?? []), new NodeResolver(nodeFetchers), rateLimiting.middleware]));
}

/** Subscriptions (graphql-ws on the API's path) start with listen(): tests that never listen never load ws. */
function subscriptionServer(
  core: Core,
  server: Pick<Parameters<typeof import("../events/websocket-server").startSubscriptionServer>[0], "schema" | "authenticator" | "authFailures" | "createLoaders"> & { http: HttpServer },
) {
  const { config, logger, audit, events } = core;
  let running: { close(): Promise<void> } | null = null;
  return {
    async start() {
      if (running) return;
      const { startSubscriptionServer } = await import("../events/websocket-server");
      running = startSubscriptionServer({
        ...server,
        httpServer: server.http.httpServer,
        path: GRAPHQL_PATH,
        audit,
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
        clientIpOf: server.http.clientIpOf,
        ...config.subscriptions,
        maxConnections: config.resilience.maxInflightRequests,
        onShed: () => core.metrics.requestsShed.inc({ kind: "websocket" }),
        lookbackMs: SUBSCRIPTION_LOOKBACK_MS,
      });
    },
    close: async () => running?.close(),
  };
}
