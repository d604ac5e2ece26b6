import type { Logger } from "pino";
import type { ActionContext, Principal } from "../shared/principal";
import { unauthenticated } from "./errors";

/** Everything one GraphQL request carries; built fresh per request, loaders included. */
export interface RequestContext {
  requestId: string;
  principal: Principal | null;
  /** Why the credentials sent were refused, for the UNAUTHENTICATED message. */
  authProblem: string | null;
  clientIp: string;
  log: Logger;
  loaders: RequestLoaders;
  /**
   * Calls of rate-limited fields already counted, per quota, by the operation-level check
   * (rate-limits/operation-quota.plugin.ts); one HTTP request's operations share it.
   */
  prepaidQuota?: Map<string, number>;
  /** Where subscription fields get their streams; set on WebSocket connections only (src/events). */
  streams?: SubscriptionStreams;
}

/** Subscription sources, by field, opened for the connection's principal. */
export interface SubscriptionStreams {
  auditEntryAdded(args: { domainId: string | null; after: string | null }): AsyncIterableIterator<unknown>;
}

/**
 * Per-request batching: never shared between requests, so no caller sees another's cache.
 * Empty here, since this layer knows no feature: each feature adds its own loaders with
 * `declare module "../graphql/context" { interface RequestLoaders { … } }` beside the code
 * that makes them (domains/domain.loaders.ts, audit/audit-log.ts), and the composition
 * root builds them for every request.
 */
export interface RequestLoaders {}

export function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal) throw unauthenticated(ctx.authProblem ?? undefined);
  return ctx.principal;
}

export function actionContext(ctx: RequestContext): ActionContext {
  return { principal: principalOf(ctx), requestId: ctx.requestId };
}
