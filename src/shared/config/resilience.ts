import { boolean, integer } from "./parsers";
import { section, setting } from "./setting";
import type { Config } from "./types";

export const resilienceSection = section({
  title: "Deadlines, overload and degradation",
  settings: {
    requestTimeoutMs: setting({
      env: "REQUEST_TIMEOUT_MS",
      parser: integer({ min: 100, max: 600_000 }),
      default: "10000",
      doc:
        "the deadline of one HTTP request, whole: waiting for a database connection, every statement, every Redis command, DNS. " +
        "Past it the answer is `SERVICE_UNAVAILABLE` (HTTP 503, `retryAfterSeconds`) and the work is abandoned, its transaction rolled back. " +
        "Each dependency's own bound is derived from it (see Deadlines and degradation); background workers get the same bounds",
    }),
    maxInflightRequests: setting({
      env: "MAX_INFLIGHT_REQUESTS",
      parser: integer({ min: 1, max: 1_000_000 }),
      default: "256",
      doc: "requests one instance serves at once (every route but `/healthz`, `/readyz` and `/metrics`); past it a request is answered 503 with `Retry-After` at once instead of queueing. The same cap holds for open WebSocket connections",
    }),
    rateLimitFailClosed: setting({
      env: "RATE_LIMIT_FAIL_CLOSED",
      parser: boolean,
      default: "false",
      doc: "with `REDIS_URL`, refuse rate-limited calls (`SERVICE_UNAVAILABLE`) while Redis is slow or away, rather than counting them per instance in memory at the same limits",
    }),
    eventLoopBlockedMs: setting({
      env: "HEALTH_EVENT_LOOP_BLOCKED_MS",
      parser: integer({ min: 100, max: 600_000 }),
      default: "10000",
      doc: "`/healthz` answers 503 for a minute after the event loop was blocked longer than this (a liveness probe then restarts the instance); the longest CRL build blocks it for well under this",
    }),
  },
  build: (v): Pick<Config, "resilience"> => ({ resilience: v }),
});
