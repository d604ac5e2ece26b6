import type { Config } from "../shared/config";
import type { Clock } from "../shared/clock";
import { defineModule } from "../graphql/feature-module";
import type { DomainStore } from "../domains/domain.store";
import type { DomainService } from "../domains/domain.service";
import type { VerificationService } from "../domains/verification.service";
import type { DomainLeases } from "../scheduler/domain-leases";
import type { CheckRunner } from "../scheduler/check-runner";
import { CLEANUP_ROWS_PER_TRANSACTION, Maintenance } from "./maintenance";
import { AdminResolver } from "./admin.resolver";

export interface AdminDeps {
  config: Config;
  clock: Clock;
  domainStore: DomainStore;
  domains: DomainService;
  verification: VerificationService;
  leases: DomainLeases;
  runner: CheckRunner;
  leaseMs: number;
}

/** Operators' re-verification and cleanup, from the API and from the CLI. */
export const adminModule = defineModule({
  name: "admin",
  resolverClasses: [AdminResolver],
  create: ({ config, clock, domainStore, domains, verification, leases, runner, leaseMs }: AdminDeps) => {
    const maintenance = new Maintenance(domainStore, domains, verification, leases, runner, clock, {
      batchSize: config.scheduler.batchSize,
      leaseMs,
      cleanupAfterMs: config.domains.cleanupAfterMs,
      rowsPerTransaction: CLEANUP_ROWS_PER_TRANSACTION,
    });
    return { provides: { maintenance }, resolvers: [new AdminResolver(domains, maintenance)] };
  },
});
