import { Counter, Registry } from "prom-client";

/** Webhook POSTs this instance made. */
export function webhookMetrics(registry: Registry) {
  return {
    webhookAttempts: new Counter({
      name: "dnsproof_webhook_attempts_total",
      help: "Webhook POSTs made by this instance, by result (delivered, failed)",
      labelNames: ["result"],
      registers: [registry],
    }),
  };
}

export type WebhookMetrics = ReturnType<typeof webhookMetrics>;
