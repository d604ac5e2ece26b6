import type { ApolloServerPlugin } from "@apollo/server";
import type { Redis } from "ioredis";
import type { RequestContext } from "../context";
import { operationQuotaPlugin } from "./operation-quota.plugin";
import type { Logger } from "pino";
import type { Config } from "../../shared/config";
import { MemoryQuotaStore } from "./memory-quota-store";
import type { Quota, QuotaStore } from "./quota-store";
import { RateLimitMiddleware, RateLimitQuota } from "./rate-limit.middleware";
import { RedisQuotaStore } from "./redis-quota-store";

export { RateLimited, RateLimitQuota } from "./rate-limit.middleware";

const MINUTE = 60_000;

/** The quotas of the contract's README, in Redis when REDIS_URL is set so that every instance shares them. */
/** The rate limits' three faces: the field middleware, the operation-level Apollo plugin, and the shared counters. */
export interface RateLimiting {
  middleware: RateLimitMiddleware;
  plugin: ApolloServerPlugin<RequestContext>;
  store: QuotaStore;
}

export function createRateLimiting(settings: Config["rateLimits"], logger: Logger): RateLimiting {
  const quotas: Record<RateLimitQuota, Quota> = {
    [RateLimitQuota.MUTATIONS]: { max: settings.mutationsPerMinute, windowMs: MINUTE },
    [RateLimitQuota.VERIFICATIONS]: { max: settings.verifyPerMinute, windowMs: MINUTE },
    [RateLimitQuota.AUTH_FAILURES]: { max: settings.authFailuresPerMinute, windowMs: MINUTE },
    [RateLimitQuota.ANONYMOUS_REQUESTS]: { max: settings.anonymousPerMinute, windowMs: MINUTE },
  };
  const store = settings.redisUrl ? new RedisQuotaStore(connectRedis(settings.redisUrl, logger), quotas, settings.redisKeyPrefix) : new MemoryQuotaStore(quotas);
  const covers: Record<RateLimitQuota, string> = {
    [RateLimitQuota.MUTATIONS]: "claimDomain, regenerateToken, removeDomain, createApiKey, revokeApiKey, the certificate, attestation and webhook endpoint mutations together",
    [RateLimitQuota.VERIFICATIONS]: "verifyDomain",
    [RateLimitQuota.AUTH_FAILURES]: "failed authentications",
    [RateLimitQuota.ANONYMOUS_REQUESTS]: "requests without credentials",
  };
  return { middleware: new RateLimitMiddleware(store, covers), plugin: operationQuotaPlugin(store, covers), store };
}

function connectRedis(url: string, logger: Logger): Redis {
  // Loaded only when configured: ioredis is 55 modules that every start without REDIS_URL would read for nothing.
  const { Redis: RedisClient } = require("ioredis") as typeof import("ioredis");
  // One retry, then the call fails (SERVICE_UNAVAILABLE) instead of queueing while Redis is away.
  const redis = new RedisClient(url, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  let lastLogged = 0;
  redis.on("error", (err) => {
    if (Date.now() - lastLogged < 10_000) return;
    lastLogged = Date.now();
    logger.warn({ err }, "redis connection problem");
  });
  return redis;
}
