import type { Logger } from "pino";
import type { Config } from "../shared/config";
import type { Clock } from "../shared/clock";
import { defineModule } from "../graphql/feature-module";
import type { DomainVerifier } from "../verification/types";
import type { VerificationService } from "../domains/verification.service";
import type { DomainStore } from "../domains/domain.store";
import { DomainLeases } from "./domain-leases";
import { CheckRunner } from "./check-runner";
import { Scheduler, sweepLeaseDuration } from "./scheduler";
import type { SchedulerMetrics } from "./scheduler.metrics";
import type { Foreground } from "../shared/foreground";

export interface SchedulerDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: SchedulerMetrics;
  verifier: DomainVerifier;
  verification: VerificationService;
  domainStore: DomainStore;
  foreground: Foreground;
}

/** Checks claims when they fall due, and expires lapsed ones, on leases any instance can take. */
export const schedulerModule = defineModule({
  name: "scheduler",
  create: ({ config, clock, logger, metrics, verifier, verification, domainStore, foreground }: SchedulerDeps) => {
    const leases = new DomainLeases(domainStore);
    const runner = new CheckRunner(verification, verifier, clock, { concurrency: config.dns.concurrency, logger, foreground }, (lease, ids) => leases.giveBack(lease, ids));
    const leaseMs = sweepLeaseDuration(config.scheduler.batchSize, config.dns.concurrency, config.dns.timeoutMs);
    const scheduler = new Scheduler(leases, runner, { ...config.scheduler, leaseMs, logger, metrics, tokenWarnings: verification });
    return {
      provides: { scheduler, leases, runner, leaseMs },
      // Its batch in hand writes checks as requests do: stopped while they drain.
      workers: [{ name: "scheduled checks", enabled: config.scheduler.enabled, start: () => scheduler.start(), stop: () => scheduler.stop(), stopsWith: "requests" }],
    };
  },
});
