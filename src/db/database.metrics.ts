import { Counter, Registry } from "prom-client";

/** How contended the database is: transactions run again after losing a write conflict. */
export function databaseMetrics(registry: Registry) {
  return {
    transactionRetries: new Counter({
      name: "dnsproof_transaction_retries_total",
      help: "Transactions run again whole after losing a write conflict (deadlock, Galera certification failure, lock wait timeout)",
      registers: [registry],
    }),
  };
}

export type DatabaseMetrics = ReturnType<typeof databaseMetrics>;
