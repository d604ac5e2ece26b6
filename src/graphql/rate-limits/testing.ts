import { getGraphQLRateLimiter } from "graphql-rate-limit";
import type { GraphQLResolveInfo } from "graphql";
import type { Quota, QuotaStore } from "./quota-store";

/** For the quota-store tests (memory here, Redis under test/): one quota named "calls". */
export const quotas = (max: number, windowMs = 60_000): Record<string, Quota> => ({ calls: { max, windowMs } });

/** Asks `limiter` once for `identity`, as the middleware does; true when the call was allowed. */
export async function allowed(limiter: ReturnType<typeof getGraphQLRateLimiter>, identity: string, max: number): Promise<boolean> {
  const info = { fieldName: "calls" } as GraphQLResolveInfo;
  return (await limiter({ parent: null, args: {}, context: { identity }, info }, { max, window: "60000ms" })) === undefined;
}

export const limiterOn = (store: QuotaStore) => getGraphQLRateLimiter({ identifyContext: (ctx) => ctx.identity, store });
