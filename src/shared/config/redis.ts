import { Invalid, redactUrl, text, urlOrNull, type Parser } from "./parsers";
import { section, setting } from "./setting";
import type { Config } from "./types";

const redisUrl: Parser<string> = {
  accepts: "a `redis://` or `rediss://` URL",
  parse(raw, key) {
    const url = urlOrNull(raw);
    if (url && (url.protocol === "redis:" || url.protocol === "rediss:") && url.hostname) return raw;
    return new Invalid(`${key} must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379; got "${redactUrl(raw)}"`);
  },
};

export const redisSection = section({
  title: "Redis",
  settings: {
    redisUrl: setting({
      env: "REDIS_URL",
      parser: redisUrl,
      defaultDoc: "unset: in-process store and signals",
      doc: "the shared rate-limit store for several instances, and the pub/sub that wakes subscriptions on every instance; while it is slow or away, rate limits are counted per instance (or refused with `RATE_LIMIT_FAIL_CLOSED`), subscriptions poll, and `/readyz` lists `redis` as degraded",
    }),
    redisKeyPrefix: setting({
      env: "REDIS_KEY_PREFIX",
      parser: text(),
      default: "dnsproof:",
      doc: "prefix of every Redis key, so several deployments (and tests) can share one Redis",
    }),
  },
  build: (v): { rateLimits: Pick<Config["rateLimits"], "redisUrl" | "redisKeyPrefix"> } => ({ rateLimits: v }),
});
