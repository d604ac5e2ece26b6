import type { Logger } from "pino";
import type { Config } from "../shared/config";
import type { Database } from "../db/database";
import { defineModule } from "../graphql/feature-module";
import type { AuditLog } from "../audit/audit-log";
import { EventBus } from "./event-bus";
import { dependencyBounds } from "../shared/deadline";
import type { ResilienceMetrics } from "../shared/resilience.metrics";
import { EventsResolver } from "./events.resolver";
import { EventSubscriptionResolver } from "./subscription.resolver";

export interface EventsDeps {
  config: Config;
  db: Database;
  audit: AuditLog;
  logger: Logger;
  metrics: ResilienceMetrics;
}

/**
 * The account's event feed and its live subscription. Every audit entry's commit wakes whoever
 * listens (across instances through Redis, with REDIS_URL); never before it commits, since a
 * subscriber woken earlier would read nothing and wait for the next signal.
 */
export const eventsModule = defineModule({
  name: "events",
  resolverClasses: [EventsResolver, EventSubscriptionResolver],
  create: ({ config, db, audit, logger, metrics }: EventsDeps) => {
    const events = new EventBus({
      redisUrl: config.rateLimits.redisUrl,
      keyPrefix: config.rateLimits.redisKeyPrefix,
      logger,
      commandTimeoutMs: dependencyBounds(config.resilience.requestTimeoutMs).redisCommandMs,
      onDegraded: (degraded) => metrics.redisDegraded.set({ use: "events" }, degraded ? 1 : 0),
    });
    return {
      provides: { events },
      resolvers: [new EventsResolver(audit), new EventSubscriptionResolver()],
      // Each account a transaction wrote entries for is signalled once, after its COMMIT; a rollback signals nothing.
      auditListeners: [
        async (manager, entries) => {
          for (const accountId of new Set(entries.map((entry) => entry.accountId))) {
            db.afterCommit(manager, `entries:${accountId}`, () => events.publish([accountId]));
          }
        },
      ],
      workers: [{ name: "event bus", enabled: false, start: () => undefined, stop: () => events.close(), stopsWith: "after-requests" }],
    };
  },
});
