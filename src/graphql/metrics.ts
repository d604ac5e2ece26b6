import { Counter, Histogram, Registry } from "prom-client";
import { boundedLabels } from "../shared/metrics";

/** GraphQL operations: counts, durations and error codes, labelled by root fields. */
export function graphqlMetrics(registry: Registry) {
  return {
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
    /**
     * `label` is built from the schema's own root-field names (see operation-label.ts);
     * combinations of them are still the client's to pick, so only the first few get their own series.
     */
    operationLabel: boundedLabels(200),
  };
}

export type GraphqlMetrics = ReturnType<typeof graphqlMetrics>;
