import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../shared/config";
import { Clock, systemClock } from "../shared/clock";
import { createLogger } from "../shared/logger";
import { createMetrics, Metrics } from "./metrics";
import { formatDnsServer } from "../shared/dns-servers";
import { openDataSource } from "../db/data-source";
import { Database } from "../db/database";
import { runMigrations } from "../db/migrate";
import { entities } from "./entities";
import { createDomainVerifier } from "../verification/client";
import type { DomainVerifier } from "../verification/types";
import { AuditLog } from "../audit/audit-log";
import { DomainService } from "../domains/domain.service";
import { SqlDomainStore } from "../domains/domain.store";
import { Accounts } from "../accounts/accounts";
import { SqlAccountStore } from "../accounts/account.store";
import { VerificationService } from "../domains/verification.service";
import { DomainLeases } from "../scheduler/domain-leases";
import { CheckRunner } from "../scheduler/check-runner";
import { Scheduler, leaseDuration } from "../scheduler/scheduler";
import { Maintenance } from "../admin/maintenance";
import { ApiKeyService } from "../api-keys/api-key.service";
import { createCredentialServices, CredentialServices } from "../credentials";
import { EventBus } from "../events/event-bus";
import { signalCommittedEntries } from "../events/commit-signal";
import { WebhookService } from "../webhooks/webhook.service";
import { DeliveryWorker } from "../webhooks/delivery-worker";
import { DeliveryStore } from "../webhooks/delivery.store";
import { type Resolve, webhookDnsResolve } from "../webhooks/webhook-url";
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

/** The database and every service on it, without any server: what the CLI's commands run on. */
export interface Core {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Migrations this start applied (empty when the database was up to date). */
  migrationsApplied: string[];
  dataSource: DataSource;
  db: Database;
  audit: AuditLog;
  domains: DomainService;
  verification: VerificationService;
  apiKeys: ApiKeyService;
  credentials: CredentialServices;
  scheduler: Scheduler;
  maintenance: Maintenance;
  webhooks: WebhookService;
  deliveryWorker: DeliveryWorker;
  events: EventBus;
  /** The core's own shutdown steps, for a composition that puts its servers' steps among them. */
  shutdownSteps: {
    scheduledChecks: ShutdownStep;
    deliveriesAndEvents: ShutdownStep;
    database: ShutdownStep;
  };
  /** Stops the scheduler, the delivery worker and the event bus, then closes the database. */
  close(): Promise<void>;
}

/** Opens the database (applying migrations) and builds the services on it; starts nothing. */
export async function createCore(config: Config, overrides: CoreOverrides = {}): Promise<Core> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const metrics = createMetrics();
  const configuredServers = new Set(config.dns.resolvers.map(formatDnsServer));

  const dataSource = await openDataSource(config.databaseUrl, { entities, onQuery: overrides.onQuery });
  let migrationsApplied: string[];
  try {
    migrationsApplied = await runMigrations(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  const db = new Database(dataSource);

  const verifier =
    overrides.verifier ??
    createDomainVerifier({
      ...config.dns,
      servers: config.dns.resolvers,
      clock,
      onLookup: ({ server, answer, durationMs }) => {
        // Labels come from configuration only: nameservers are named by claimants' NS records.
        const label = config.dns.mode === "authoritative" ? "nameserver" : configuredServers.has(server) ? server : "other";
        metrics.dnsLookups.inc({ server: label, answer });
        metrics.dnsLookupDuration.observe({ answer }, durationMs / 1000);
      },
    });
  const audit = new AuditLog(db, clock);
  const domainStore = new SqlDomainStore(db, clock);
  const accounts = new Accounts(new SqlAccountStore(db, clock), db);
  const domains = new DomainService(domainStore, db, accounts, audit, clock, {
    maxPerAccount: config.domains.maxPerAccount,
    tokenTtlMs: config.domains.tokenTtlMs,
    schedule: config.domains,
  });
  const verification = new VerificationService(domainStore, db, audit, verifier, clock, {
    tokenTtlMs: config.domains.tokenTtlMs,
    cnameZone: config.dns.cnameZone,
    schedule: config.domains,
    tokenExpiryWarningMs: config.domains.tokenExpiryWarningMs,
    onCheckRecorded: (check) => metrics.verifications.inc({ outcome: check.outcome }),
  });
  const leases = new DomainLeases(domainStore);
  const runner = new CheckRunner(verification, verifier, clock, { concurrency: config.dns.concurrency, logger });
  const leaseMs = leaseDuration(config.scheduler.batchSize, config.dns.concurrency, config.dns.timeoutMs);
  const scheduler = new Scheduler(leases, runner, { ...config.scheduler, leaseMs, logger, metrics, tokenWarnings: verification });
  const maintenance = new Maintenance(domainStore, domains, verification, leases, runner, clock, {
    batchSize: config.scheduler.batchSize,
    leaseMs,
    cleanupAfterMs: config.domains.cleanupAfterMs,
  });

  const apiKeys = new ApiKeyService(db, domains, accounts, audit, clock, {
    allowAdminKeys: config.auth.adminAllowApiKeys,
    adminUserIds: config.auth.adminUserIds,
    adminEmails: config.auth.adminEmails,
    adminSecretConfigured: Boolean(config.auth.adminSecret),
    maxActivePerAccount: config.apiKeys.maxPerAccount,
  });
  const credentials = await createCredentialServices({ config, db, audit, clock, domains, logger }).catch(async (error) => {
    // A CA or key the server refuses: nothing is listening yet, only the database to let go of.
    await dataSource.destroy();
    throw error;
  });

  // Events: every audit entry creates its webhook deliveries in its own transaction, and its commit wakes whoever listens.
  const events = new EventBus({ redisUrl: config.rateLimits.redisUrl, keyPrefix: config.rateLimits.redisKeyPrefix, logger });
  const webhookResolve = overrides.webhookResolve ?? webhookDnsResolve(config.webhooks);
  const deliveryStore = new DeliveryStore(db, clock);
  const webhooks = new WebhookService(db, domainStore, accounts, audit, clock, { ...config.webhooks, resolve: webhookResolve }, deliveryStore);
  audit.addListener((manager, entry) => webhooks.createDeliveries(manager, entry));
  signalCommittedEntries(db, audit, events);
  const deliveryWorker = new DeliveryWorker(db, deliveryStore, webhooks, clock, {
    ...config.webhooks,
    resolve: webhookResolve,
    pollMs: 1000,
    logger,
    onAttempt: (_delivery, outcome) => metrics.webhookAttempts.inc({ result: outcome.error ? "failed" : "delivered" }),
  });
  // This process's own commits wake the worker only when they made deliveries due; another
  // instance's (through Redis) may have, and that instance's worker may be switched off.
  webhooks.onDeliveriesDue(() => deliveryWorker.wake());
  events.subscribe((_accountId, origin) => {
    if (origin === "remote") deliveryWorker.wake();
  });

  const shutdownSteps = {
    scheduledChecks: {
      name: "scheduled checks and the CRL refresh",
      close: async () => {
        credentials.stop();
        await scheduler.stop();
      },
    },
    deliveriesAndEvents: {
      // POSTs in hand get their outcome recorded while the database is still there.
      name: "webhook deliveries in hand and the event bus",
      close: async () => {
        await deliveryWorker.stop();
        await events.close();
      },
    },
    database: { name: "database", close: async () => dataSource.isInitialized && dataSource.destroy() },
  };

  return {
    config,
    clock,
    logger,
    metrics,
    migrationsApplied,
    dataSource,
    db,
    audit,
    domains,
    verification,
    apiKeys,
    credentials,
    scheduler,
    maintenance,
    webhooks,
    deliveryWorker,
    events,
    shutdownSteps,
    close: shutdownInOrder([shutdownSteps.scheduledChecks, shutdownSteps.deliveriesAndEvents, shutdownSteps.database], logger),
  };
}
