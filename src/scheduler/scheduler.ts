import type { Logger } from "pino";
import { SYSTEM_ACTOR } from "../audit/audit.types";
import type { SchedulerMetrics } from "./scheduler.metrics";
import type { CheckRunner, LeasedResult } from "./check-runner";
import type { DomainLeases } from "./domain-leases";
import { leaseOutlasting, worstCaseBatchMs } from "../db/lease";
import { WorkerLoop } from "../db/worker-loop";

export interface SchedulerOptions {
  /** Pause between runs once no work is due (SCHEDULER_INTERVAL_SECONDS). */
  intervalMs: number;
  /** Claims leased per batch, and so held in memory at once (SCHEDULER_BATCH_SIZE). */
  batchSize: number;
  /** How long a batch stays leased: longer than a batch can take, short enough that a crashed instance's claims come back soon. */
  leaseMs: number;
  logger: Logger;
  metrics: SchedulerMetrics;
  /** Writes TOKEN_EXPIRING_SOON entries; each run sweeps until none are owed. */
  tokenWarnings?: { warnExpiringTokens(limit: number): Promise<number> };
}

export { worstCaseBatchMs };

/** Twice the worst case and then some: a live instance never loses a lease it is still working on. */
export function leaseDuration(batchSize: number, concurrency: number, dnsTimeoutMs: number): number {
  return leaseOutlasting(worstCaseBatchMs(batchSize, concurrency, dnsTimeoutMs), 2);
}

/** Batches a sweep holds at once: the one being checked and the next, leased ahead so lookups never wait for a lease. */
export const BATCHES_IN_HAND = 2;

/** How long the scheduler leases a batch for: a claim leased ahead waits behind up to a batch of others before its own turn. */
export function sweepLeaseDuration(batchSize: number, concurrency: number, dnsTimeoutMs: number): number {
  return leaseDuration(BATCHES_IN_HAND * batchSize, concurrency, dnsTimeoutMs);
}

/**
 * The in-server scheduler: every interval it drains the claims that are due (first checks,
 * backoff checks, re-verifications, expiries) batch by batch, then sleeps. Any number of
 * instances may run it against one MySQL database; leases keep them off each other's claims.
 */
export class Scheduler {
  private readonly loop: WorkerLoop;

  constructor(
    private readonly leases: DomainLeases,
    private readonly runner: CheckRunner,
    private readonly options: SchedulerOptions,
  ) {
    this.loop = new WorkerLoop(
      { pass: () => this.drain() },
      {
        intervalMs: options.intervalMs,
        onError: (error) => {
          options.metrics.schedulerRuns.inc({ result: "error" });
          options.logger.error({ err: error }, "scheduler run failed");
        },
      },
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Takes no further batch and resolves once every batch in hand is recorded. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /**
   * Works until nothing is due and tells what became of each claim. The loop calls it;
   * tests call it directly to drive the scheduler on a manual clock.
   */
  runOnce(): Promise<LeasedResult[]> {
    return this.loop.track(this.drain());
  }

  private async drain(): Promise<LeasedResult[]> {
    const { metrics, batchSize, leaseMs } = this.options;
    const { tokenWarnings } = this.options;
    if (tokenWarnings) while (!this.loop.halting && (await tokenWarnings.warnExpiringTokens(batchSize)) === batchSize);
    const started = new WeakMap<object, () => void>();
    const results = await this.runner.sweep(
      async () => {
        if (this.loop.halting) return null;
        const leaseTimer = metrics.schedulerLeaseDuration.startTimer();
        const batch = await this.leases.take({ kind: "due" }, batchSize, leaseMs);
        leaseTimer();
        metrics.schedulerLeased.inc(batch.domains.length);
        return batch;
      },
      {
        actor: SYSTEM_ACTOR,
        requestId: null,
        batchSize,
        halting: () => this.loop.halting,
        onResult: (result) => metrics.schedulerResults.inc({ result }),
        onBatchStarted: (batch) => started.set(batch, metrics.schedulerBatchDuration.startTimer()),
        onBatchDone: (batch) => started.get(batch)?.(),
      },
    );
    metrics.schedulerRuns.inc({ result: "ok" });
    return results;
  }
}
