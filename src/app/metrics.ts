import { createRegistry } from "../shared/metrics";
import { graphqlMetrics } from "../graphql/metrics";
import { dnsLookupMetrics } from "../verification/client/metrics";
import { verificationMetrics } from "../domains/verification.metrics";
import { schedulerMetrics } from "../scheduler/scheduler.metrics";
import { webhookMetrics } from "../webhooks/webhook.metrics";
import { databaseMetrics } from "../db/database.metrics";
import { perspectiveMetrics } from "../perspectives/perspective.metrics";
import { resilienceMetrics } from "../shared/resilience.metrics";

/** Every metric /metrics shows, each defined by the part of the service that counts it. */
export function createMetrics() {
  const registry = createRegistry();
  return {
    registry,
    ...graphqlMetrics(registry),
    ...dnsLookupMetrics(registry),
    ...webhookMetrics(registry),
    ...verificationMetrics(registry),
    ...schedulerMetrics(registry),
    ...databaseMetrics(registry),
    ...perspectiveMetrics(registry),
    ...resilienceMetrics(registry),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
