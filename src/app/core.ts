import { withPersistentRecords } from "../verification/persistent-verifier";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../shared/config";
import { Clock, systemClock } from "../shared/clock";
import { Foreground } from "../shared/foreground";
import { createLogger } from "../shared/logger";
import { createMetrics, Metrics } from "./metrics";
import { formatDnsServer } from "../shared/dns-servers";
import { openDataSource } from "../db/data-source";
import { dependencyBounds } from "../shared/deadline";
import { Database } from "../db/database";
import { runMigrations } from "../db/migrate";
import type { BackgroundWorker, FeatureParts } from "../graphql/feature-module";
import { entities } from "./entities";
import { createDomainVerifier } from "../verification/client";
import { corroboratedVerifier } from "../perspectives/create";
import type { DomainVerifier } from "../verification/types";
import { AuditLog } from "../audit/audit-log";
import type { Resolve } from "../webhooks/webhook-url";
import { modules, type Provided } from "./modules";
import type { ShutdownStep } from "./shutdown";
import { shutdownInOrder } from "./shutdown";

/** What tests swap out, and the CLI its logger; the server always takes the defaults. */
export interface CoreOverrides {
  clock?: Clock;
  verifier?: DomainVerifier;
  logger?: Logger;
  /** Sees every SQL statement; used to prove batching. */
  onQuery?: (sql: string) => void;
  /** How webhook host names are resolved (SSRF tests). */
  webhookResolve?: Resolve;
}

/** What every module receives: made before any of them. */
export interface CoreBase {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  dataSource: DataSource;
  db: Database;
  /** Every feature records into it; its listeners come from the modules. */
  audit: AuditLog;
  verifier: DomainVerifier;
  webhookResolve?: Resolve;
  /** The requests being served: the HTTP layer counts them, background work gives way to them. */
  foreground: Foreground;
}

/** The database and every service on it, without any server: what the CLI's commands run on. */
export type Core = CoreBase &
  Provided & {
    /** Migrations this start applied (empty when the database was up to date). */
    migrationsApplied: string[];
    /** What each module added, in module order: the server takes resolvers, loaders, routes and workers from here. */
    parts: FeatureParts<unknown>[];
    /** The core's own shutdown steps, for a composition that puts its servers' steps among them. */
    shutdownSteps: {
      /** Workers that stop while requests drain (scheduled checks, the CRL refresh). */
      scheduledChecks: ShutdownStep;
      /** Workers that stop once requests have drained (webhook deliveries, the event bus). */
      deliveriesAndEvents: ShutdownStep;
      database: ShutdownStep;
    };
    /** Stops every module's workers, then closes the database. */
    close(): Promise<void>;
  };

/** Opens the database (applying migrations) and builds every module on it; starts nothing. */
export async function createCore(config: Config, overrides: CoreOverrides = {}): Promise<Core> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const metrics = createMetrics();
  const bounds = dependencyBounds(config.resilience.requestTimeoutMs);
  const dataSource = await openDataSource(config.databaseUrl, {
    entities,
    onQuery: overrides.onQuery,
    bounds: { ...bounds, onTimeout: (dependency) => metrics.dependencyTimeouts.inc({ dependency }) },
  });
  try {
    const migrationsApplied = await runMigrations(dataSource);
    const db = new Database(dataSource, { dependencies: { onRetry: () => metrics.transactionRetries.inc() } });
    // A test's verifier is used as given; the configured one also honours persistent records.
    const verifier = overrides.verifier ?? configuredVerifier(config, clock, metrics);
    const base: CoreBase = { config, clock, logger, metrics, dataSource, db, audit: new AuditLog(db, clock), verifier, webhookResolve: overrides.webhookResolve, foreground: new Foreground() };
    const { provided, parts } = await createModules(base);
    const shutdownSteps = {
      scheduledChecks: stopWorkers(parts, "requests"),
      deliveriesAndEvents: stopWorkers(parts, "after-requests"),
      database: { name: "database", close: async () => dataSource.isInitialized && dataSource.destroy() },
    };
    return {
      ...base,
      ...provided,
      migrationsApplied,
      parts,
      shutdownSteps,
      close: shutdownInOrder([shutdownSteps.scheduledChecks, shutdownSteps.deliveriesAndEvents, shutdownSteps.database], logger),
    };
  } catch (error) {
    // A failed migration, or a CA or key the server refuses: nothing is listening yet, only the database to let go of.
    await dataSource.destroy();
    throw error;
  }
}

/** Each module in turn, given the base and what the modules before it provided; their audit listeners registered. */
async function createModules(base: CoreBase): Promise<{ provided: Provided; parts: FeatureParts<unknown>[] }> {
  const bag: Record<string, unknown> = { ...base };
  const parts: FeatureParts<unknown>[] = [];
  for (const module of modules) {
    const part: FeatureParts<object> = await module.create(bag as never);
    Object.assign(bag, part.provides);
    for (const listener of part.auditListeners ?? []) base.audit.addListener(listener);
    parts.push(part);
  }
  return { provided: bag as Provided, parts };
}

/** One shutdown step for the workers of a phase, a later module's first: it may use an earlier one's. */
function stopWorkers(parts: FeatureParts<unknown>[], phase: BackgroundWorker["stopsWith"]): ShutdownStep {
  const workers = parts.flatMap((part) => part.workers ?? []).filter((worker) => worker.stopsWith === phase).reverse();
  return {
    name: workers.map((worker) => worker.name).join(", "),
    close: async () => {
      for (const worker of workers) await worker.stop();
    },
  };
}

/**
 * The DNS engine on the configured resolvers, counting every lookup, with persistent records; corroborated by
 * remote perspectives when DNS_PERSPECTIVES lists some. Corroboration goes outside, so that it covers a
 * verification by a persistent record as it does one by a token, and the persistent lookups stay local.
 */
export function configuredVerifier(config: Config, clock: Clock, metrics: Metrics): DomainVerifier {
  const local = withPersistentRecords(localVerifier(config, clock, metrics), { issuers: config.persistIssuers, publicUrl: config.publicUrl, clock });
  const { urls, secret } = config.perspectives;
  if (urls.length === 0 || !secret) return local;
  return corroboratedVerifier(local, config, metrics);
}

function localVerifier(config: Config, clock: Clock, metrics: Metrics): DomainVerifier {
  const configuredServers = new Set(config.dns.resolvers.map(formatDnsServer));
  return createDomainVerifier({
    ...config.dns,
    servers: config.dns.resolvers,
    clock,
    onLookup: ({ server, answer, dnssec, durationMs }) => {
      // Labels come from configuration only: nameservers are named by claimants' NS records.
      const label = config.dns.mode === "authoritative" ? "nameserver" : configuredServers.has(server) ? server : "other";
      metrics.dnsLookups.inc({ server: label, answer });
      metrics.dnssecAnswers.inc({ status: dnssec });
      metrics.dnsLookupDuration.observe({ answer }, durationMs / 1000);
    },
  });
}
