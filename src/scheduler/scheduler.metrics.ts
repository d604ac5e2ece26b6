import { Counter, Histogram, Registry } from "prom-client";

/** The scheduler's runs, leases and what became of each claim. */
export function schedulerMetrics(registry: Registry) {
  return {
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
  };
}

export type SchedulerMetrics = ReturnType<typeof schedulerMetrics>;
