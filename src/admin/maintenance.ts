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
  /** Claims cleanup expires or deletes in one transaction (CLEANUP_ROWS_PER_TRANSACTION unless a benchmark compares). */
  rowsPerTransaction: number;
}

/**
 * Claims one cleanup transaction changes. Each costs a few statements (its audit entry, what
 * listeners write with it), so a transaction of this many holds its row locks for tens of
 * milliseconds, while the commit, the costly part of a one-claim transaction, is paid once.
 */
export const CLEANUP_ROWS_PER_TRANSACTION = 200;

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
   * older than CLEANUP_AFTER_DAYS. Pages through by key, so memory stays flat however many
   * match, and changes each page in transactions of at most rowsPerTransaction claims (each
   * claim's audit entry in the transaction of its change), so half a million claims take a few
   * thousand short transactions rather than half a million, and none holds its locks long.
   */
  async cleanup(ctx: MaintenanceContext): Promise<CleanupCounts> {
    const now = this.clock.now();
    const expired = await this.expireLapsed(now, ctx);
    const deleted = await this.deleteStale(new Date(now.getTime() - this.options.cleanupAfterMs), ctx);
    return { expired, deleted };
  }

  private async expireLapsed(now: Date, ctx: MaintenanceContext): Promise<number> {
    let expired = 0;
    let after: LapsedPosition | null = null;
    for (;;) {
      const page = await this.store.pageOfLapsedTokens(now, after, this.pageSize);
      for (const ids of this.transactionsOf(page)) expired += (await this.verification.expireBatch(ids, ctx.actor, ctx.requestId)).length;
      if (page.length < this.pageSize) return expired;
      const last = page[page.length - 1];
      after = { status: last.status, at: last.tokenExpiresAt, id: last.id };
    }
  }

  private async deleteStale(cutoff: Date, ctx: MaintenanceContext): Promise<number> {
    let deleted = 0;
    let afterId = "";
    for (;;) {
      const page = await this.store.pageOfStale(cutoff, afterId, this.pageSize);
      for (const ids of this.transactionsOf(page)) deleted += await this.domains.deleteStale(ids, cutoff, ctx.actor, ctx.requestId);
      if (page.length < this.pageSize) return deleted;
      afterId = page[page.length - 1].id;
    }
  }

  /** Claims read per page: at least one transaction's worth, so a small SCHEDULER_BATCH_SIZE does not make small transactions. */
  private get pageSize(): number {
    return Math.max(this.options.batchSize, this.options.rowsPerTransaction);
  }

  /** A page's ids, split into the transactions that change them. */
  private *transactionsOf(page: readonly { id: string }[]): Generator<string[]> {
    const size = Math.max(1, this.options.rowsPerTransaction);
    for (let start = 0; start < page.length; start += size) yield page.slice(start, start + size).map((claim) => claim.id);
  }
}
