import { Resolver } from "node:dns/promises";
import type { RequestHandler } from "express";
import type { DnsServerAddress } from "../shared/dns-servers";
import { formatDnsServer } from "../shared/dns-servers";

/** up: serving; degraded: serving with less (Redis away, DNS unreachable); down: cannot serve; off: not configured. */
export type DependencyState = "up" | "degraded" | "down" | "off";

export interface DependencyCheck {
  name: string;
  /** Whether the instance can serve without it: if not, its `down` makes /readyz 503. */
  required: boolean;
  check(): Promise<{ state: DependencyState; detail?: string }>;
}

/** Each check's share of /readyz's one second: whatever is stalled, the answer leaves in time. */
export const CHECK_TIMEOUT_MS = 800;

export interface ReadinessReport {
  status: "ready" | "degraded" | "unavailable" | "shutting down";
  /** Dependencies the instance serves without, or with less, right now. */
  degraded: string[];
  checks: Record<string, { state: DependencyState; latencyMs: number; detail?: string }>;
}

/** Runs every check at once, each cut at CHECK_TIMEOUT_MS. */
export async function readinessReport(checks: DependencyCheck[], isDraining: () => boolean): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map(timedCheck));
  const report: ReadinessReport = { status: "ready", degraded: [], checks: {} };
  for (const [i, check] of checks.entries()) {
    const result = results[i];
    report.checks[check.name] = result;
    if (result.state === "down" && check.required) report.status = "unavailable";
    else if (result.state === "down" || result.state === "degraded") report.degraded.push(check.name);
  }
  if (report.status === "ready" && report.degraded.length > 0) report.status = "degraded";
  if (isDraining()) report.status = "shutting down";
  return report;
}

async function timedCheck(check: DependencyCheck): Promise<ReadinessReport["checks"][string]> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<{ state: DependencyState; detail: string }>(
    (resolve) => (timer = setTimeout(() => resolve({ state: "down", detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS)),
  );
  try {
    const result = await Promise.race([check.check().catch(() => ({ state: "down" as const, detail: "the check failed" })), timedOut]);
    return { ...result, latencyMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** /readyz: 200 while the instance can serve (degraded ones listed), 503 while draining or without a required dependency. */
export function readinessHandler(checks: DependencyCheck[], isDraining: () => boolean): RequestHandler {
  return async (_req, res) => {
    // A load balancer must stop sending at once: nothing is asked of the dependencies while draining.
    if (isDraining()) return void res.status(503).json({ status: "shutting down" });
    const report = await readinessReport(checks, isDraining);
    res.status(report.status === "ready" || report.status === "degraded" ? 200 : 503).json(report);
  };
}

/**
 * Whether the configured resolvers answer at all: any DNS answer (NXDOMAIN, REFUSED, SERVFAIL
 * included) shows the resolver is there; only silence or a refused port is unreachable. The
 * result is kept a second, so frequent probes do not become a load on the resolvers.
 */
export function dnsResolversCheck(servers: DnsServerAddress[]): DependencyCheck {
  let cached: { at: number; result: { state: DependencyState; detail?: string } } | null = null;
  const probe = async (server: DnsServerAddress | null): Promise<boolean> => {
    const resolver = new Resolver({ timeout: CHECK_TIMEOUT_MS - 100, tries: 1 });
    if (server) resolver.setServers([formatDnsServer(server)]);
    try {
      await resolver.resolveSoa(".");
      return true;
    } catch (error) {
      return !["ETIMEOUT", "ECONNREFUSED", "ECANCELLED"].includes(String((error as { code?: string }).code));
    }
  };
  return {
    name: "dns",
    required: false,
    async check() {
      if (cached && performance.now() - cached.at < 1000) return cached.result;
      const answered = await Promise.all(servers.length > 0 ? servers.map(probe) : [probe(null)]);
      const reachable = answered.filter(Boolean).length;
      const state: DependencyState = reachable === answered.length ? "up" : reachable > 0 ? "degraded" : "down";
      const result = { state, detail: `${reachable} of ${answered.length} resolvers answer` };
      cached = { at: performance.now(), result };
      return result;
    },
  };
}
