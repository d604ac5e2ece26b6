import { boolean, DAYS, duration, durations, HOURS, integer, MINUTES, SECONDS } from "./parsers";
import { section, setting } from "./setting";
import type { Config } from "./types";

export const schedulerSection = section({
  title: "Claims' lifecycle and the scheduler",
  settings: {
    tokenTtlMs: setting({ env: "TOKEN_TTL_DAYS", parser: duration(DAYS), default: "30", doc: "how long an unverified token is accepted" }),
    reverifyIntervalMs: setting({ env: "REVERIFY_INTERVAL_HOURS", parser: duration(HOURS), default: "24", doc: "how often a verified domain is re-checked" }),
    reverifyGraceMs: setting({
      env: "REVERIFY_GRACE_HOURS",
      parser: duration(HOURS),
      default: "72",
      doc: "how long a verified domain may keep failing before it is REVOKED",
    }),
    tokenExpiryWarningMs: setting({
      env: "TOKEN_EXPIRY_WARNING_HOURS",
      parser: duration(HOURS),
      default: "72",
      doc: "how long before an unverified claim's token runs out `TOKEN_EXPIRING_SOON` is written (once per token, by the scheduler)",
    }),
    enabled: setting({
      env: "SCHEDULER_ENABLED",
      parser: boolean,
      default: "true",
      doc: "run automatic checks, re-verification and expiry inside this server",
    }),
    intervalMs: setting({
      env: "SCHEDULER_INTERVAL_SECONDS",
      parser: duration(SECONDS),
      default: "30",
      doc: "how often the scheduler looks for due work when idle",
    }),
    batchSize: setting({
      env: "SCHEDULER_BATCH_SIZE",
      parser: integer({ min: 1, max: 10_000 }),
      default: "100",
      doc: "claims leased and held in memory at once per instance",
    }),
    pendingFirstCheckMs: setting({
      env: "PENDING_FIRST_CHECK_SECONDS",
      parser: duration(SECONDS),
      default: "60",
      doc: "delay from a claim (or a new token) to its first automatic check",
    }),
    pendingBackoffMs: setting({
      env: "PENDING_CHECK_BACKOFF_MINUTES",
      parser: durations(MINUTES),
      default: "1,5,15,60,360",
      doc: "gaps between later automatic checks of unverified claims; the last one repeats",
    }),
    cleanupAfterMs: setting({
      env: "CLEANUP_AFTER_DAYS",
      parser: duration(DAYS),
      default: "30",
      doc: "age after which cleanup deletes EXPIRED and REVOKED claims (their audit entries are kept)",
    }),
  },
  build: ({ enabled, intervalMs, batchSize, ...domains }): { scheduler: Config["scheduler"]; domains: Omit<Config["domains"], "maxPerAccount"> } => ({
    scheduler: { enabled, intervalMs, batchSize },
    domains,
  }),
});
