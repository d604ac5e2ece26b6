import type http from "node:http";
import { randomUUID } from "node:crypto";
import { GraphQLError, GraphQLSchema, getOperationAST, parse, specifiedRules, validate, ValidationRule } from "graphql";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import type { Logger } from "pino";
import type { Authenticator } from "../auth/authenticator";
import type { Principal } from "../shared/principal";
import type { AuditLog } from "../audit/audit-log";
import { auditFilterFor } from "../audit/audit.resolver";
import type { RequestContext, RequestLoaders } from "../graphql/context";
import { decodeCursor } from "../shared/pagination";
import { badUserInputError, tooManySubscriptions } from "../graphql/errors";
import type { EventBus } from "./event-bus";
import { entryStream } from "./entry-stream";

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  path: string;
  schema: GraphQLSchema;
  authenticator: Authenticator;
  audit: AuditLog;
  /** The per-request loaders every feature contributes, made by the composition root. */
  createLoaders: (principal: Principal) => RequestLoaders;
  bus: EventBus;
  logger: Logger;
  validationRules: ValidationRule[];
  maxPerConnection: number;
  maxPerAccount: number;
  /** See EntryStreamOptions.lookbackMs. */
  lookbackMs: number;
}

/** graphql-ws close codes: the client library does not reconnect on these. */
const CLOSE_FORBIDDEN = 4403;

interface ConnectionState {
  principal: Principal;
  active: Set<string>;
  expiryTimer?: NodeJS.Timeout;
}

/**
 * GraphQL over WebSocket (graphql-ws) on the API's own path and HTTP server, for
 * subscriptions only: queries and mutations stay on POST, behind its limits. Connections
 * authenticate once with connectionParams.Authorization (a JWT or an API key, like the
 * header) and close when the token expires; anonymous connections are refused.
 */
export function startSubscriptionServer(options: SubscriptionServerOptions): { close(): Promise<void> } {
  const { logger } = options;
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path });
  const perAccount = new Map<string, number>();
  const states = new WeakMap<object, ConnectionState>();
  const release = (state: ConnectionState, id: string) => {
    if (!state.active.delete(id)) return;
    const left = (perAccount.get(state.principal.accountId) ?? 1) - 1;
    if (left <= 0) perAccount.delete(state.principal.accountId);
    else perAccount.set(state.principal.accountId, left);
  };

  const disposable = useServer<Record<string, unknown>>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization;
        const { principal } = await options.authenticator.authenticate(typeof header === "string" ? header : undefined);
        if (!principal) return false;
        const state: ConnectionState = { principal, active: new Set() };
        if (principal.expiresAt) {
          const socket = ctx.extra.socket;
          const close = () => socket.close(CLOSE_FORBIDDEN, "Forbidden: the token has expired");
          const left = principal.expiresAt.getTime() - Date.now();
          if (left <= 0) return false;
          // setTimeout holds at most 2^31-1 ms; longer-lived tokens are re-armed.
          const arm = (ms: number) => {
            state.expiryTimer = setTimeout(() => {
              const rest = principal.expiresAt!.getTime() - Date.now();
              if (rest > 0) arm(rest);
              else close();
            }, Math.min(ms, 2_147_483_647));
            state.expiryTimer.unref();
          };
          arm(left);
        }
        states.set(ctx, state);
        return true;
      },
      onSubscribe: (ctx, id, payload) => {
        const state = states.get(ctx);
        if (!state) return [new GraphQLError("Not authenticated.")];
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(options.schema, document, [...specifiedRules, ...options.validationRules]);
        if (errors.length) return errors;
        if (getOperationAST(document, payload.operationName)?.operation !== "subscription") {
          return [badUserInputError("Only subscriptions are served over WebSocket; send queries and mutations as POST /graphql.")];
        }
        const { accountId } = state.principal;
        if (state.active.size >= options.maxPerConnection) {
          return [tooManySubscriptions(`At most ${options.maxPerConnection} subscriptions may run on one connection (SUBSCRIPTIONS_PER_CONNECTION).`)];
        }
        if ((perAccount.get(accountId) ?? 0) >= options.maxPerAccount) {
          return [tooManySubscriptions(`At most ${options.maxPerAccount} subscriptions may run for one account (SUBSCRIPTIONS_PER_ACCOUNT).`)];
        }
        state.active.add(id);
        perAccount.set(accountId, (perAccount.get(accountId) ?? 0) + 1);
        return {
          schema: options.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: contextFor(options, state.principal),
        };
      },
      onComplete: (ctx, id) => {
        const state = states.get(ctx);
        if (state) release(state, id);
      },
      onClose: (ctx) => {
        const state = states.get(ctx);
        if (!state) return;
        if (state.expiryTimer) clearTimeout(state.expiryTimer);
        for (const id of [...state.active]) release(state, id);
      },
    },
    wsServer,
  );

  return {
    async close() {
      for (const client of wsServer.clients) client.close(1001, "Going away");
      await disposable.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      logger.debug("subscription server closed");
    },
  };
}

function contextFor(options: SubscriptionServerOptions, principal: Principal): RequestContext {
  const requestId = randomUUID();
  return {
    requestId,
    principal,
    authProblem: null,
    clientIp: "websocket",
    log: options.logger.child({ requestId, subscription: true }),
    // A subscription lives for hours: a fresh loader per event keeps domains current instead of cached from its start.
    get loaders() {
      return options.createLoaders(principal);
    },
    streams: {
      auditEntryAdded: ({ domainId, after }) =>
        entryStream({
          audit: options.audit,
          bus: options.bus,
          filter: auditFilterFor(principal, domainId),
          after: after ? decodeCursor(after) : null,
          lookbackMs: options.lookbackMs,
        }),
    },
  };
}
