import type { getGraphQLRateLimiter } from "graphql-rate-limit";
import { Extensions, MiddlewareInterface, NextFn, ResolverData, UseMiddleware } from "type-graphql";
import type { RequestContext } from "../context";
import { rateLimited, serviceUnavailable } from "../errors";
import type { QuotaStore } from "./quota-store";

/** The quotas fields are counted against; fields naming the same quota share it. */
export enum RateLimitQuota {
  /**
   * Per account: every mutation but verifyDomain and the admins' (RATE_LIMIT_MUTATIONS_PER_MINUTE).
   * The value is part of each count's Redis key, so it keeps the name it had when only domains
   * counted: old and new instances side by side in a rolling deploy share one count.
   */
  MUTATIONS = "domainChanges",
  /** Per account, or per client IP for anonymous callers: verifyDomain (RATE_LIMIT_VERIFY_PER_MINUTE). */
  VERIFICATIONS = "verifications",
  /** Per client IP: authentications that failed (a wrong secret, a bad token or key). */
  AUTH_FAILURES = "authFailures",
  /** Per client IP: requests that present no credentials at all. */
  ANONYMOUS_REQUESTS = "anonymousRequests",
}

export const QUOTA_EXTENSION = "rateLimitQuota";

/** Counts every call of the field (aliases and batched operations included) against `quota`. */
export function RateLimited(quota: RateLimitQuota): MethodDecorator {
  return (target, key, descriptor) => {
    Extensions({ [QUOTA_EXTENSION]: quota })(target, key, descriptor);
    UseMiddleware(RateLimitMiddleware)(target, key, descriptor);
  };
}

/** Per account; per client IP for anonymous callers. */
export function rateLimitIdentity(ctx: Pick<RequestContext, "principal" | "clientIp">): string {
  return ctx.principal ? `account:${ctx.principal.accountId}` : `ip:${ctx.clientIp}`;
}

/**
 * Runs graphql-rate-limit for @RateLimited fields, before their resolver, unless the operation's
 * calls were counted as a whole beforehand (operationQuotaPlugin). Admins are not limited.
 * A refusal is RATE_LIMITED with retryAfterSeconds (and HTTP 429 with Retry-After).
 */
export class RateLimitMiddleware implements MiddlewareInterface<RequestContext> {
  private limiterInstance?: ReturnType<typeof getGraphQLRateLimiter>;

  constructor(
    private readonly store: QuotaStore,
    /** What each quota covers, for the refusal's message, e.g. "verifyDomain". */
    private readonly covers: Record<RateLimitQuota, string>,
  ) {}

  /**
   * Made at the first limited call: graphql-rate-limit's one bundle loads graphql-shield,
   * yup and lodash (about 350 modules, a third of the start-up) for rules this never uses.
   */
  private get limiter(): ReturnType<typeof getGraphQLRateLimiter> {
    if (this.limiterInstance) return this.limiterInstance;
    const { getGraphQLRateLimiter: create } = require("graphql-rate-limit") as typeof import("graphql-rate-limit");
    return (this.limiterInstance = create({
      identifyContext: rateLimitIdentity,
      store: this.store,
      // The store records each call as it counts it, so the batch cache would count earlier aliases twice.
      enableBatchRequestCache: false,
      formatError: ({ fieldName, max, window }) =>
        `Rate limit reached: ${this.covers[fieldName as RateLimitQuota]} may be called ${max} times per ${window / 1000} seconds.`,
    }));
  }

  async use({ context, info, args, root }: ResolverData<RequestContext>, next: NextFn): Promise<unknown> {
    if (context.principal?.isAdmin) return next();
    const quotaName = info.parentType.getFields()[info.fieldName].extensions[QUOTA_EXTENSION] as RateLimitQuota;
    // Counted already, with the rest of its operation, before the operation ran.
    const prepaid = context.prepaidQuota?.get(quotaName) ?? 0;
    if (prepaid > 0) {
      context.prepaidQuota!.set(quotaName, prepaid - 1);
      return next();
    }
    const quota = this.store.quotaOf(quotaName);
    let refusal: string | undefined;
    let retryAfterMs = 0;
    try {
      // graphql-rate-limit keys its counts by field name: the quota's name lets several fields share one.
      refusal = await this.limiter(
        { parent: root, args, context, info: { ...info, fieldName: quotaName } },
        { max: quota.max, window: `${quota.windowMs}ms` },
      );
      if (refusal) retryAfterMs = await this.store.retryAfterMs({ contextIdentity: rateLimitIdentity(context), fieldIdentity: quotaName });
    } catch (error) {
      context.log.error({ err: error }, "rate-limit store failed");
      throw serviceUnavailable("The rate-limit store cannot be reached right now; try again shortly.");
    }
    if (refusal) {
      const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      throw rateLimited(`${refusal} Try again in ${retryAfterSeconds} s.`, retryAfterSeconds);
    }
    return next();
  }
}
