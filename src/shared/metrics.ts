import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Config } from "./config";

/** One registry per app, so several apps in one process (tests) never double-register. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "dnsproof_" });
  const operations = boundedLabels(200);
  return {
    registry,
    graphqlRequests: new Counter({
      name: "dnsproof_graphql_requests_total",
      help: "GraphQL operations by root fields (e.g. mutation:claimDomain) and type",
      labelNames: ["operation", "type"] as const,
      registers: [registry],
    }),
    graphqlDuration: new Histogram({
      name: "dnsproof_graphql_request_duration_seconds",
      help: "GraphQL operation duration by root fields",
      labelNames: ["operation"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    graphqlErrors: new Counter({
      name: "dnsproof_graphql_errors_total",
      help: "Errors sent to clients, by extensions.code",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    dnsLookups: new Counter({
      name: "dnsproof_dns_lookups_total",
      help: "Questions to vantage points, by configured server (\"nameserver\" in authoritative mode) and kind of answer",
      labelNames: ["server", "answer"] as const,
      registers: [registry],
    }),
    dnsLookupDuration: new Histogram({
      name: "dnsproof_dns_lookup_duration_seconds",
      help: "Time for one vantage point to answer",
      labelNames: ["answer"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers: [registry],
    }),
    webhookAttempts: new Counter({
      name: "dnsproof_webhook_attempts_total",
      help: "Webhook POSTs made by this instance, by result (delivered, failed)",
      labelNames: ["result"],
      registers: [registry],
    }),
    verifications: new Counter({
      name: "dnsproof_verifications_total",
      help: "Verification checks by outcome",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    schedulerRuns: new Counter({
      name: "dnsproof_scheduler_runs_total",
      help: "Scheduler runs (each drains the claims that are due), by whether it ended normally",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    schedulerLeased: new Counter({
      name: "dnsproof_scheduler_leased_domains_total",
      help: "Claims this instance leased for scheduled checks and expiries",
      registers: [registry],
    }),
    schedulerResults: new Counter({
      name: "dnsproof_scheduler_checks_total",
      help: "What became of each scheduled claim: EXPIRED, STILL_VERIFIED, IN_GRACE_PERIOD, REVOKED, VERIFIED, NOT_VERIFIED, DNS_ERROR, SKIPPED or ERROR",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    schedulerLeaseDuration: new Histogram({
      name: "dnsproof_scheduler_lease_duration_seconds",
      help: "Time to lease one batch of due claims (lock, read and mark them)",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    schedulerBatchDuration: new Histogram({
      name: "dnsproof_scheduler_batch_duration_seconds",
      help: "Time to check and record one leased batch",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    /**
     * `label` is built from the schema's own root-field names (see graphql/operation-label.ts);
     * combinations of them are still the client's to pick, so only the first few get their own series.
     */
    operationLabel: (label: string) => operations(label),
  };
}

function boundedLabels(limit: number): (value: string) => string {
  const known = new Set<string>();
  return (value) => {
    if (known.has(value)) return value;
    if (known.size >= limit) return "other";
    known.add(value);
    return value;
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * /metrics names operations, codes and volumes: open outside production, and in production only
 * with `Authorization: Bearer <METRICS_TOKEN>` unless METRICS_PUBLIC=true. 401 otherwise.
 */
export function metricsAccess(settings: Config["metrics"]): RequestHandler {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  const expected = settings.token === undefined ? null : digest(settings.token);
  return (req, res, next) => {
    if (settings.public) return next();
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
    if (expected && presented !== undefined && timingSafeEqual(digest(presented), expected)) return next();
    res.status(401).set("www-authenticate", 'Bearer realm="metrics"').type("text/plain").send("Send Authorization: Bearer <METRICS_TOKEN>.\n");
  };
}
