import type http from "node:http";
import type { Duplex } from "node:stream";
import { randomUUID } from "node:crypto";
import type { ExecutionArgs, GraphQLError, GraphQLSchema, ValidationRule } from "graphql";
import { WebSocket, WebSocketServer } from "ws";
import { Extra, useServer } from "graphql-ws/use/ws";
import type { SubscribePayload, Context as WsContext } from "graphql-ws";
import type { Logger } from "pino";
import type { Authenticator } from "../auth/authenticator";
import type { Authentication, Principal } from "../shared/principal";
import type { AuditLog } from "../audit/audit-log";
import { auditFilterFor } from "../audit/audit.resolver";
import type { RequestContext, RequestLoaders } from "../graphql/context";
import { createFormatError } from "../graphql/format-error";
import type { QueryLimits } from "../graphql/query-limits";
import { decodeCursor } from "../shared/pagination";
import { tooManySubscriptions, unauthenticated } from "../graphql/errors";
import type { EventBus } from "./event-bus";
import { entryStream } from "./entry-stream";
import { ConnectionCounts, callAt } from "./connection-limits";
import { checkSubscribe, replayBudget } from "./subscribe-checks";

/** The failed-authentication limiter HTTP uses (graphql/rate-limits/auth-failures.ts). */
export interface AuthFailureLimiter {
  refusal(clientIp: string): Promise<{ message: string; retryAfterSeconds: number } | null>;
  record(clientIp: string, result: Authentication): Promise<void>;
}

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  path: string;
  schema: GraphQLSchema;
  authenticator: Authenticator;
  authFailures: AuthFailureLimiter;
  audit: AuditLog;
  /** The per-request loaders every feature contributes, made by the composition root. */
  createLoaders: (principal: Principal) => RequestLoaders;
  bus: EventBus;
  logger: Logger;
  validationRules: ValidationRule[];
  /** GRAPHQL_MAX_COMPLEXITY and GRAPHQL_MAX_ALIASES, as on HTTP. */
  queryLimits: QueryLimits;
  /** Largest WebSocket message accepted: the HTTP body limit (GRAPHQL_MAX_BODY_BYTES). */
  maxPayloadBytes: number;
  /** In production error messages name nothing of the schema ("Did you mean ..."), as on HTTP. */
  hideSuggestions: boolean;
  /** The client address of a request, worked out as Express does for HTTP (TRUST_PROXY). */
  clientIpOf: (req: http.IncomingMessage) => string;
  maxPerConnection: number;
  maxPerAccount: number;
  maxReplay: number;
  maxConnectionsPerAccount: number;
  maxConnectionsPerAddress: number;
  /** Open WebSocket connections on this instance, whoever holds them (MAX_INFLIGHT_REQUESTS). */
  maxConnections: number;
  /** Told of each upgrade refused because maxConnections were open. */
  onShed?: () => void;
  idleTimeoutMs: number;
  /** See EntryStreamOptions.lookbackMs. */
  lookbackMs: number;
}

/** graphql-ws close codes: the client library does not reconnect on 4403 and 4429. */
const CLOSE_FORBIDDEN = 4403;
const CLOSE_TOO_MANY = 4429;
const CLOSE_IDLE = 4408;

interface ConnectionState {
  clientIp: string;
  principal: Principal | null;
  /** Set once this connection holds one of its account's places. */
  countedAccount: string | null;
  active: Set<string>;
  closed: boolean;
  cancelExpiry?: () => void;
  idleTimer?: NodeJS.Timeout;
}

type Ctx = WsContext<Record<string, unknown>, Extra>;

/**
 * GraphQL over WebSocket (graphql-ws) on the API's own path and HTTP server, for
 * subscriptions only: queries and mutations stay on POST, behind its limits. Connections
 * authenticate once with connectionParams.Authorization (a JWT or an API key, like the
 * header) and close when the credentials expire; anonymous connections are refused. The
 * limits of a request hold here too: message size, failed authentications, cost, depth and
 * aliases; connections are capped per address and per account and closed when idle.
 */
export function startSubscriptionServer(options: SubscriptionServerOptions): { close(): Promise<void> } {
  const { logger } = options;
  // maxPayload: ws refuses (1009) a larger message before buffering it whole.
  const wsServer = new WebSocketServer({ noServer: true, path: options.path, maxPayload: options.maxPayloadBytes });
  const connections = new Connections(options, wsServer);
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => connections.upgrade(req, socket, head);
  options.httpServer.on("upgrade", onUpgrade);
  const formatError = createFormatError(logger, { hideSuggestions: options.hideSuggestions });
  const format = (errors: readonly GraphQLError[]) => errors.map((error) => formatError(error.toJSON(), error));

  const disposable = useServer<Record<string, unknown>>(
    {
      schema: options.schema,
      onConnect: (ctx) => connections.connect(ctx),
      onSubscribe: (ctx, id, payload) => connections.subscribe(ctx.extra.socket, id, payload),
      // Errors leave as HTTP's do: known codes with their message, suggestions hidden in production, nothing internal.
      onError: (_ctx, _id, _payload, errors) => format(errors),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
      onComplete: (ctx, id) => connections.complete(ctx.extra.socket, id),
      onClose: (ctx) => connections.closed(ctx.extra.socket),
    },
    wsServer,
  );

  return {
    async close() {
      options.httpServer.off("upgrade", onUpgrade);
      for (const client of wsServer.clients) client.close(1001, "Going away");
      await disposable.dispose();
      logger.debug("subscription server closed");
    },
  };
}

/** The open connections of one server: what each holds, and the caps on addresses, accounts and subscriptions. */
class Connections {
  private readonly byAddress: ConnectionCounts;
  private readonly byAccount: ConnectionCounts;
  /** Every open connection, against MAX_INFLIGHT_REQUESTS. */
  private readonly total: ConnectionCounts;
  /** Subscriptions running per account (SUBSCRIPTIONS_PER_ACCOUNT). */
  private readonly subscriptionsOf = new ConnectionCounts(Number.MAX_SAFE_INTEGER);
  private readonly states = new WeakMap<WebSocket, ConnectionState>();

  constructor(
    private readonly options: SubscriptionServerOptions,
    private readonly wsServer: WebSocketServer,
  ) {
    this.byAddress = new ConnectionCounts(options.maxConnectionsPerAddress);
    this.byAccount = new ConnectionCounts(options.maxConnectionsPerAccount);
    this.total = new ConnectionCounts(options.maxConnections);
  }

  /** The HTTP upgrade: an address over its cap gets 429 before a WebSocket exists. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const { wsServer, options } = this;
    if (!wsServer.shouldHandle(req)) return refuseUpgrade(socket, 400, "Bad Request");
    if (!this.total.tryAcquire("all")) {
      options.onShed?.();
      return refuseUpgrade(socket, 503, "Service Unavailable");
    }
    const clientIp = options.clientIpOf(req);
    if (!this.byAddress.tryAcquire(clientIp)) {
      this.total.release("all");
      return refuseUpgrade(socket, 429, "Too Many Requests");
    }
    // handleUpgrade can fail without calling back (a socket gone mid-handshake): the place is given back on close either way.
    socket.once("close", () => {
      this.byAddress.release(clientIp);
      this.total.release("all");
    });
    wsServer.handleUpgrade(req, socket, head, (ws) => {
      const state: ConnectionState = { clientIp, principal: null, countedAccount: null, active: new Set(), closed: false };
      this.states.set(ws, state);
      this.idle(ws, state);
      wsServer.emit("connection", ws, req);
      // graphql-ws writes every socket error to the console; these are the client's doing (a frame past
      // maxPayload, a broken frame), and ws closes the socket itself with the matching code.
      ws.removeAllListeners("error");
      ws.on("error", (err) => options.logger.debug({ err, clientIp }, "websocket closed on a protocol error"));
    });
  }

  async connect(ctx: Ctx): Promise<boolean> {
    const state = this.states.get(ctx.extra.socket);
    return state ? admit(this.options, ctx, state, this.byAccount) : false;
  }

  subscribe(socket: WebSocket, id: string, payload: SubscribePayload): ExecutionArgs | readonly GraphQLError[] {
    const { options } = this;
    const state = this.states.get(socket);
    if (!state?.principal) return [unauthenticated()];
    const checked = checkSubscribe(options.schema, payload, { validationRules: options.validationRules, limits: options.queryLimits });
    if (!("document" in checked)) return checked;
    const { accountId } = state.principal;
    if (state.active.size >= options.maxPerConnection) {
      return [tooManySubscriptions(`At most ${options.maxPerConnection} subscriptions may run on one connection (SUBSCRIPTIONS_PER_CONNECTION).`)];
    }
    if (this.subscriptionsOf.held(accountId) >= options.maxPerAccount) {
      return [tooManySubscriptions(`At most ${options.maxPerAccount} subscriptions may run for one account (SUBSCRIPTIONS_PER_ACCOUNT).`)];
    }
    state.active.add(id);
    this.subscriptionsOf.tryAcquire(accountId);
    clearTimeout(state.idleTimer);
    const maxReplay = replayBudget(options.maxReplay, options.queryLimits.maxComplexity, checked.costPerEvent);
    return {
      schema: options.schema,
      document: checked.document,
      operationName: payload.operationName,
      variableValues: payload.variables,
      contextValue: contextFor(options, state, socket, maxReplay),
    };
  }

  complete(socket: WebSocket, id: string): void {
    const state = this.states.get(socket);
    if (state) this.release(socket, state, id);
  }

  closed(socket: WebSocket): void {
    const state = this.states.get(socket);
    if (!state) return;
    state.closed = true;
    clearTimeout(state.idleTimer);
    state.cancelExpiry?.();
    for (const id of [...state.active]) this.release(socket, state, id);
    if (state.countedAccount) this.byAccount.release(state.countedAccount);
    state.countedAccount = null;
  }

  private release(socket: WebSocket, state: ConnectionState, id: string): void {
    if (!state.active.delete(id) || !state.principal) return;
    this.subscriptionsOf.release(state.principal.accountId);
    this.idle(socket, state);
  }

  /** A connection without a running subscription is closed after WS_IDLE_TIMEOUT_MS. */
  private idle(socket: WebSocket, state: ConnectionState): void {
    clearTimeout(state.idleTimer);
    if (state.active.size > 0 || state.closed) return;
    state.idleTimer = setTimeout(() => socket.close(CLOSE_IDLE, "No subscription running; connect again when you need one"), this.options.idleTimeoutMs);
    state.idleTimer.unref();
  }
}

/**
 * connection_init: the address's failed authentications are checked and counted as on HTTP,
 * then the account's connections. ADMIN_SECRET is refused here exactly like a wrong credential
 * (and counted as one), so WebSocket is no way to guess or use it; it serves cron jobs over HTTP.
 */
async function admit(options: SubscriptionServerOptions, ctx: Ctx, state: ConnectionState, byAccount: ConnectionCounts): Promise<boolean> {
  const socket = ctx.extra.socket;
  const header = ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization;
  const authorization = typeof header === "string" ? header : undefined;
  if (authorization) {
    const refused = await options.authFailures.refusal(state.clientIp);
    if (refused) {
      socket.close(CLOSE_TOO_MANY, `Too many failed authentications; try again in ${refused.retryAfterSeconds} s`);
      return false;
    }
  }
  let authentication = await options.authenticator.authenticate(authorization);
  if (authentication.principal?.via === "admin-secret") authentication = { principal: null, problem: "ADMIN_SECRET is not accepted over WebSocket." };
  await options.authFailures.record(state.clientIp, authentication);
  const { principal } = authentication;
  // A client that left while it was being authenticated has been let go already: it must not take a place now.
  if (!principal || isExpired(principal) || state.closed) return false;
  if (!byAccount.tryAcquire(principal.accountId)) {
    socket.close(CLOSE_TOO_MANY, `Too many connections for this account (WS_MAX_CONNECTIONS_PER_ACCOUNT=${options.maxConnectionsPerAccount})`);
    return false;
  }
  state.countedAccount = principal.accountId;
  state.principal = principal;
  if (principal.expiresAt) state.cancelExpiry = callAt(principal.expiresAt, () => socket.close(CLOSE_FORBIDDEN, "Forbidden: the token has expired"));
  return true;
}

const isExpired = (principal: Principal) => principal.expiresAt != null && principal.expiresAt.getTime() <= Date.now();

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const retryAfter = status === 503 ? "Retry-After: 1\r\n" : "";
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${retryAfter}Connection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

function contextFor(options: SubscriptionServerOptions, state: ConnectionState, socket: WebSocket, maxReplay: number): RequestContext {
  const principal = state.principal!;
  const requestId = randomUUID();
  const context: RequestContext = {
    requestId,
    principal,
    authProblem: null,
    clientIp: state.clientIp,
    log: options.logger.child({ requestId, clientIp: state.clientIp, subscription: true }),
    loaders: options.createLoaders(principal),
    streams: {
      auditEntryAdded: ({ domainId, after }) =>
        // A subscription lives for hours: each event gets loaders of its own, shared by its whole selection
        // (so it batches) and fresh for the next (so domains are current rather than cached from the start).
        withFreshLoaders(
          entryStream({
            audit: options.audit,
            bus: options.bus,
            filter: auditFilterFor(principal, domainId),
            after: after ? decodeCursor(after) : null,
            lookbackMs: options.lookbackMs,
            maxReplay,
            isOpen: () => socket.readyState === WebSocket.OPEN,
          }),
          () => (context.loaders = options.createLoaders(principal)),
        ),
    },
  };
  return context;
}

/** `source`, calling `beforeEvent` before each value is handed on: graphql-js runs one event's selection before pulling the next. */
function withFreshLoaders<T>(source: AsyncIterableIterator<T>, beforeEvent: () => void): AsyncIterableIterator<T> {
  return {
    async next() {
      const result = await source.next();
      if (!result.done) beforeEvent();
      return result;
    },
    return: (value?: unknown) => source.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    throw: (error?: unknown) => source.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
