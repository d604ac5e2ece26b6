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
import { FallbackQuotaStore } from "./fallback-quota-store";

export { RateLimited, RateLimitQuota } from "./rate-limit.middleware";

const MINUTE = 60_000;

/** The quotas of the contract's README, in Redis when REDIS_URL is set so that every instance shares them. */
/** The rate limits' three faces: the field middleware, the operation-level Apollo plugin, and the shared counters. */
export interface RateLimiting {
  middleware: RateLimitMiddleware;
  plugin: ApolloServerPlugin<RequestContext>;
  store: QuotaStore;
}

/** How the shared store is bounded, and what happens while it is away (REQUEST_TIMEOUT_MS, RATE_LIMIT_FAIL_CLOSED). */
export interface RedisResilience {
  commandTimeoutMs: number;
  failClosed: boolean;
  onDegraded?: (degraded: boolean) => void;
}

export function createRateLimiting(settings: Config["rateLimits"], logger: Logger, resilience?: RedisResilience): RateLimiting {
  const quotas: Record<RateLimitQuota, Quota> = {
    [RateLimitQuota.MUTATIONS]: { max: settings.mutationsPerMinute, windowMs: MINUTE },
    [RateLimitQuota.VERIFICATIONS]: { max: settings.verifyPerMinute, windowMs: MINUTE },
    [RateLimitQuota.AUTH_FAILURES]: { max: settings.authFailuresPerMinute, windowMs: MINUTE },
    [RateLimitQuota.ANONYMOUS_REQUESTS]: { max: settings.anonymousPerMinute, windowMs: MINUTE },
  };
  const store = settings.redisUrl ? sharedStore(settings.redisUrl, settings.redisKeyPrefix, quotas, logger, resilience) : new MemoryQuotaStore(quotas);
  const covers: Record<RateLimitQuota, string> = {
    [RateLimitQuota.MUTATIONS]: "claimDomain, regenerateToken, removeDomain, createApiKey, revokeApiKey, the certificate, attestation and webhook endpoint mutations together",
    [RateLimitQuota.VERIFICATIONS]: "verifyDomain",
    [RateLimitQuota.AUTH_FAILURES]: "failed authentications",
    [RateLimitQuota.ANONYMOUS_REQUESTS]: "requests without credentials",
  };
  return { middleware: new RateLimitMiddleware(store, covers), plugin: operationQuotaPlugin(store, covers), store };
}

/** Redis's counts, with the in-memory fallback (or refusal) while it is slow or away. */
function sharedStore(url: string, keyPrefix: string, quotas: Record<RateLimitQuota, Quota>, logger: Logger, resilience?: RedisResilience): QuotaStore {
  const redis = new RedisQuotaStore(connectRedis(url, logger, resilience?.commandTimeoutMs), quotas, keyPrefix);
  return new FallbackQuotaStore(redis, quotas, { logger, failClosed: resilience?.failClosed ?? false, onDegraded: resilience?.onDegraded });
}

function connectRedis(url: string, logger: Logger, commandTimeoutMs = 1000): Redis {
  // Loaded only when configured: ioredis is 55 modules that every start without REDIS_URL would read for nothing.
  const { Redis: RedisClient } = require("ioredis") as typeof import("ioredis");
  // A command fails after its bound (a stalled Redis answers nothing, and ioredis would wait for ever); the bound
  // holds for commands queued while the connection is (re)made too, so the offline queue cannot grow past it.
  const redis = new RedisClient(url, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: commandTimeoutMs });
  let lastLogged = 0;
  redis.on("error", (err) => {
    if (Date.now() - lastLogged < 10_000) return;
    lastLogged = Date.now();
    logger.warn({ err }, "redis connection problem");
  });
  return redis;
}
