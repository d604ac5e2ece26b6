import { Counter, Histogram, Registry } from "prom-client";

/** What each vantage point answered, and how fast. */
export function dnsLookupMetrics(registry: Registry) {
  return {
    dnsLookups: new Counter({
      name: "dnsproof_dns_lookups_total",
      help: "Questions to vantage points, by configured server (\"nameserver\" in authoritative mode) and kind of answer",
      labelNames: ["server", "answer"] as const,
      registers: [registry],
    }),
    dnssecAnswers: new Counter({
      name: "dnsproof_dns_dnssec_answers_total",
      help: "Vantage point answers by DNSSEC status: SECURE, INSECURE, BOGUS or UNVALIDATED",
      labelNames: ["status"] as const,
      registers: [registry],
    }),
    dnsLookupDuration: new Histogram({
      name: "dnsproof_dns_lookup_duration_seconds",
      help: "Time for one vantage point to answer",
      labelNames: ["answer"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers: [registry],
    }),
  };
}

export type DnsLookupMetrics = ReturnType<typeof dnsLookupMetrics>;
