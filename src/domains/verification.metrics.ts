import { Counter, Registry } from "prom-client";

/** Checks recorded, by outcome. */
export function verificationMetrics(registry: Registry) {
  return {
    verifications: new Counter({
      name: "dnsproof_verifications_total",
      help: "Verification checks by outcome",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
  };
}

export type VerificationMetrics = ReturnType<typeof verificationMetrics>;
