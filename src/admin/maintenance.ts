import type { Actor } from "../audit/audit.types";
import type { Clock } from "../shared/clock";
import type { DomainStore, LapsedPosition } from "../domains/domain.store";
import type { DomainService } from "../domains/domain.service";
import type { VerificationService } from "../domains/verification.service";
import type { CheckRunner, LeasedResult } from "../scheduler/check-runner";
import type { DomainLeases } from "../scheduler/domain-leases";

/** One re-verification run checks at most this many; a bigger sweep is several runs (or the scheduler's job). */
export const MAX_REVERIFY_LIMIT = 10_000;

export interface ReverifyCounts {
  checked: number;
  stillVerified: number;
  inGracePeriod: number;
  revoked: number;
  dnsErrors: number;
}

export interface CleanupCounts {
  expired: number;
  deleted: number;
}

export interface MaintenanceOptions {
  batchSize: number;
  leaseMs: number;
  cleanupAfterMs: number;
}

/** Who runs an admin operation, for its audit entries. */
export interface MaintenanceContext {
  actor: Actor;
  requestId: string | null;
}

/**
 * What operators run by hand or from cron (reverifyDomains, cleanupDomains, the CLI):
 * the same leases and checks as the scheduler, a batch at a time, audited as ADMIN.
 */
export class Maintenance {
  constructor(
    private readonly store: DomainStore,
    private readonly domains: DomainService,
    private readonly verification: VerificationService,
    private readonly leases: DomainLeases,
    private readonly runner: CheckRunner,
    private readonly clock: Clock,
    private readonly options: MaintenanceOptions,
  ) {}

  /** Re-checks up to `limit` verified claims now, least recently checked first. */
  async reverify(ctx: MaintenanceContext, limit: number): Promise<ReverifyCounts> {
    const counts: ReverifyCounts = { checked: 0, stillVerified: 0, inGracePeriod: 0, revoked: 0, dnsErrors: 0 };
    const tally: Partial<Record<LeasedResult, keyof ReverifyCounts>> = {
      STILL_VERIFIED: "stillVerified",
      IN_GRACE_PERIOD: "inGracePeriod",
      REVOKED: "revoked",
      DNS_ERROR: "dnsErrors",
    };
    // Claims this run has checked are checked after it started: each is taken once.
    const query = { kind: "verified" as const, checkedBefore: this.clock.now() };
    let taken = 0;
    while (taken < limit) {
      const batch = await this.leases.take(query, Math.min(this.options.batchSize, limit - taken), this.options.leaseMs);
      if (batch.domains.length === 0) break;
      taken += batch.domains.length;
      for (const result of await this.runner.run(batch, ctx.actor, ctx.requestId)) {
        const counter = tally[result];
        if (!counter) continue;
        counts.checked++;
        counts[counter]++;
      }
    }
    return counts;
  }

  /**
   * Expires unverified claims whose token ran out, then deletes EXPIRED and REVOKED claims
   * older than CLEANUP_AFTER_DAYS. Pages through by key, so memory stays flat however many match.
   */
  async cleanup(ctx: MaintenanceContext): Promise<CleanupCounts> {
    const counts: CleanupCounts = { expired: 0, deleted: 0 };
    const now = this.clock.now();
    let after: LapsedPosition | null = null;
    for (;;) {
      const page = await this.store.pageOfLapsedTokens(now, after, this.options.batchSize);
      for (const claim of page) if (await this.verification.expire(claim.id, ctx.actor, ctx.requestId)) counts.expired++;
      if (page.length < this.options.batchSize) break;
      after = { at: page[page.length - 1].tokenExpiresAt, id: page[page.length - 1].id };
    }

    const cutoff = new Date(now.getTime() - this.options.cleanupAfterMs);
    let afterId = "";
    for (;;) {
      const page = await this.store.pageOfStale(cutoff, afterId, this.options.batchSize);
      for (const claim of page) if (await this.domains.deleteStale(claim.id, cutoff, ctx.actor, ctx.requestId)) counts.deleted++;
      if (page.length < this.options.batchSize) break;
      afterId = page[page.length - 1].id;
    }
    return counts;
  }
}
