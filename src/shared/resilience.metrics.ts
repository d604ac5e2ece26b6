import { Counter, Gauge, Registry } from "prom-client";

/** What the deadlines, the overload cap and the fallbacks did. */
export function resilienceMetrics(registry: Registry) {
  return {
    dependencyTimeouts: new Counter({
      name: "dnsproof_dependency_timeouts_total",
      help: "Calls that hit their bound: request (the whole request's deadline), database_statement, database_pool, redis",
      labelNames: ["dependency"] as const,
      registers: [registry],
    }),
    requestsInflight: new Gauge({ name: "dnsproof_requests_inflight", help: "HTTP requests being served now (MAX_INFLIGHT_REQUESTS caps it)", registers: [registry] }),
    requestsShed: new Counter({
      name: "dnsproof_requests_shed_total",
      help: "Requests and WebSocket upgrades answered 503 at once because MAX_INFLIGHT_REQUESTS were in hand",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    redisDegraded: new Gauge({
      name: "dnsproof_redis_degraded",
      help: "1 while Redis is slow or away: rate limits counted per instance in memory (or refused with RATE_LIMIT_FAIL_CLOSED), subscriptions polling",
      labelNames: ["use"] as const,
      registers: [registry],
    }),
    eventLoopBlockedSeconds: new Gauge({
      name: "dnsproof_event_loop_longest_block_seconds",
      help: "The longest the event loop was blocked in the last minute, as /healthz judges it",
      registers: [registry],
    }),
  };
}

export type ResilienceMetrics = ReturnType<typeof resilienceMetrics>;
