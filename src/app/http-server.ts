import http from "node:http";
import type https from "node:https";
import type { AddressInfo } from "node:net";
import express, { NextFunction, Request, RequestHandler, Response } from "express";
import type { ApolloServer } from "@apollo/server";
import { apolloHandler } from "./apollo-handler";
import type { GraphQLSchema } from "graphql";
import type { Logger } from "pino";
import type { Config } from "../shared/config";
import { metricsAccess } from "../shared/metrics";
import type { Metrics } from "./metrics";
import type { Principal } from "../shared/principal";
import type { Authenticator } from "../auth/authenticator";
import type { CredentialsHttp } from "../credentials/http";
import type { RequestContext, RequestLoaders } from "../graphql/context";
import { ErrorCode, httpErrorBody } from "../graphql/errors";
import { batchLimit } from "../graphql/batch-limit";
import { queryLimits } from "../graphql/query-limits";
import { graphiqlRouter } from "../graphql/graphiql";
import type { authFailureLimit } from "../graphql/rate-limits/auth-failures";
import { anonymousRequestLimit } from "../graphql/rate-limits/anonymous-requests";
import type { QuotaStore } from "../graphql/rate-limits/quota-store";
import { requestId } from "./request-id";
import { HttpDrain } from "./drain";
import { requestGuards, withRequestDeadline } from "./request-guards";
import type { Foreground } from "../shared/foreground";
import { readinessHandler, type DependencyCheck } from "./readiness";
import { livenessHandler, watchEventLoop } from "./liveness";

export const GRAPHQL_PATH = "/graphql";

export interface HttpServerOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  schema: GraphQLSchema;
  apollo: ApolloServer<RequestContext>;
  authenticator: Authenticator;
  authFailures: ReturnType<typeof authFailureLimit>;
  /** Where requests without credentials are counted per client IP. */
  rateLimitStore: QuotaStore;
  credentials: CredentialsHttp;
  /** Features' routes beside the API (the CRL, the CA certificate, the attestation keys). */
  routes: express.Router[];
  /** Every feature's per-request loaders, fresh for each request. */
  requestLoaders: (principal: Principal | null) => RequestLoaders;
  /** What /readyz asks, each dependency in turn reported with its state and latency. */
  readinessChecks: DependencyCheck[];
  /** Put into GraphiQL's headers; exists only outside production. */
  devToken: string | null;
  /** Counts the requests in hand, for background work to give way to them. */
  foreground?: Foreground;
}

export interface HttpServer {
  express: express.Express;
  /** The plain HTTP server, for the WebSocket server to share. */
  httpServer: http.Server;
  /** A request's client address as req.ip gives it (TRUST_PROXY), for requests Express never sees (WebSocket upgrades). */
  clientIpOf(req: http.IncomingMessage): string;
  /** Starts listening; resolves to the base URL, e.g. http://127.0.0.1:4000 */
  listen(port: number, host: string): Promise<string>;
  /** Starts the mutual-TLS port; resolves to its base URL, e.g. https://127.0.0.1:4443 */
  listenTls(port: number | undefined, host: string): Promise<string>;
  /** Waits for the requests in flight on both ports and stops listening. */
  drain(): Promise<unknown>;
}

/** The Express app on the HTTP port and, with TLS_PORT, on the mutual-TLS port too. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { config, logger, metrics, credentials } = options;
  const httpServer = http.createServer();
  const httpDrain = new HttpDrain(httpServer);

  const app = express();
  app.disable("x-powered-by");
  // res.send would hash every response body (100 KB pages) for an ETag no GraphQL POST is ever revalidated with.
  app.set("etag", false);
  app.set("trust proxy", config.trustProxy);
  app.use(requestId());
  app.use(requestGuards({ maxInflight: config.resilience.maxInflightRequests, timeoutMs: config.resilience.requestTimeoutMs, metrics, foreground: options.foreground }));
  const graphql = graphqlPipeline(options);
  // What nearly every request is, answered before the routers below, which serve GETs only.
  app.post(GRAPHQL_PATH, ...graphql);
  const eventLoop = watchEventLoop(config.resilience.eventLoopBlockedMs, metrics);
  app.get("/healthz", livenessHandler(eventLoop, config.resilience.eventLoopBlockedMs));
  app.get("/readyz", readinessHandler(options.readinessChecks, () => httpDrain.isDraining));
  app.get("/metrics", metricsAccess(config.metrics), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  for (const router of options.routes) app.use(router);
  app.use(
    graphiqlRouter({
      endpoint: GRAPHQL_PATH,
      defaultHeaders: options.devToken ? { Authorization: `Bearer ${options.devToken}` } : undefined,
    }),
  );
  app.use(GRAPHQL_PATH, ...graphql);
  app.use(httpErrorHandler(logger, config.graphql.maxBodyBytes));
  httpServer.on("request", app);
  const tlsServer: https.Server | null = credentials.tlsServer;
  tlsServer?.on("request", app);
  const tlsDrain = tlsServer ? new HttpDrain(tlsServer) : null;

  return {
    express: app,
    httpServer,
    // Express's own req.ip getter, run on the upgrade request: the same trusted hops, the same answer.
    clientIpOf: (req) => (Object.create(app.request, { headers: { value: req.headers }, socket: { value: req.socket } }) as Request).ip ?? "unknown",
    listen: (port, host) => listenOn(httpServer, "http", port, host),
    listenTls(port, host) {
      if (!tlsServer) return Promise.reject(new Error("TLS_PORT is not set"));
      return listenOn(tlsServer, "https", port, host);
    },
    drain: () => Promise.all([httpDrain.drain(), tlsDrain?.drain()]).finally(() => eventLoop.stop()),
  };
}

/**
 * What a GraphQL request passes through, cheapest refusals first: body size, batch size,
 * failed authentications, anonymous requests, the document's size and cost, then Apollo.
 */
function graphqlPipeline(options: HttpServerOptions): RequestHandler[] {
  const { config, logger, schema, authenticator, authFailures, credentials } = options;
  // Read once per request: the anonymous limit asks before the context does.
  const certificates = new WeakMap<Request, Promise<Uint8Array | null>>();
  const clientCertificateOf = (req: Request) => {
    let certificate = certificates.get(req);
    if (!certificate) certificates.set(req, (certificate = credentials.clientCertificateOf(req)));
    return certificate;
  };
  const isAnonymous = async (req: Request) => !req.headers.authorization && (await clientCertificateOf(req)) === null;
  return [
    express.json({ limit: config.graphql.maxBodyBytes }),
    batchLimit(config.graphql.maxBatchOperations),
    withRequestDeadline,
    authFailures.gate,
    anonymousRequestLimit(options.rateLimitStore, logger, isAnonymous),
    queryLimits(schema, {
      maxComplexity: config.graphql.maxComplexity,
      maxAliases: config.graphql.maxAliases,
      maxTokens: config.graphql.maxTokens,
      maxSelections: config.graphql.maxSelections,
    }),
    apolloHandler(options.apollo, {
      context: async ({ req }): Promise<RequestContext> => {
        const clientIp = req.ip ?? "unknown";
        const authentication = await authenticator.authenticate(req.headers.authorization, await clientCertificateOf(req));
        await authFailures.record(clientIp, authentication);
        const { principal, ...rest } = authentication;
        return {
          requestId: req.requestId,
          principal,
          authProblem: "problem" in rest ? rest.problem : null,
          clientIp,
          log: logger.child({ requestId: req.requestId, clientIp }),
          loaders: options.requestLoaders(principal),
        };
      },
    }),
  ];
}

function listenOn(server: http.Server | https.Server, scheme: "http" | "https", port: number | undefined, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
      resolve(`${scheme}://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${address.port}`);
    });
  });
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
