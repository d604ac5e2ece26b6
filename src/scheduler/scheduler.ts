import type { Logger } from "pino";
import { SYSTEM_ACTOR } from "../audit/audit.types";
import type { SchedulerMetrics } from "./scheduler.metrics";
import type { CheckRunner, LeasedResult } from "./check-runner";
import type { DomainLeases } from "./domain-leases";

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

/** How long one batch can take when every lookup runs into its deadline, with a second each for the database. */
export function worstCaseBatchMs(batchSize: number, concurrency: number, dnsTimeoutMs: number): number {
  return Math.ceil(batchSize / concurrency) * (dnsTimeoutMs + 1000);
}

/** Twice the worst case and then some: a live instance never loses a lease it is still working on. */
export function leaseDuration(batchSize: number, concurrency: number, dnsTimeoutMs: number): number {
  return 2 * worstCaseBatchMs(batchSize, concurrency, dnsTimeoutMs) + 30_000;
}

/**
 * The in-server scheduler: every interval it drains the claims that are due (first checks,
 * backoff checks, re-verifications, expiries) batch by batch, then sleeps. Any number of
 * instances may run it against one MySQL database; leases keep them off each other's claims.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  private started = false;
  private halting = false;

  constructor(
    private readonly leases: DomainLeases,
    private readonly runner: CheckRunner,
    private readonly options: SchedulerOptions,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.halting = false;
    this.wake(0);
  }

  /** Takes no further batch and resolves once every batch in hand is recorded. */
  async stop(): Promise<void> {
    this.started = false;
    this.halting = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.all(this.inFlight);
  }

  /**
   * Works until nothing is due and tells what became of each claim. The timer calls it;
   * tests call it directly to drive the scheduler on a manual clock.
   */
  runOnce(): Promise<LeasedResult[]> {
    const run = this.drain();
    const settled = run.catch(() => undefined);
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
    return run;
  }

  private wake(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runOnce()
        .catch((error) => {
          this.options.metrics.schedulerRuns.inc({ result: "error" });
          this.options.logger.error({ err: error }, "scheduler run failed");
        })
        .finally(() => {
          if (this.started) this.wake(this.options.intervalMs);
        });
    }, delayMs);
    // A waiting scheduler never keeps a process alive by itself.
    this.timer.unref();
  }

  private async drain(): Promise<LeasedResult[]> {
    const { metrics, batchSize, leaseMs } = this.options;
    const results: LeasedResult[] = [];
    const { tokenWarnings } = this.options;
    if (tokenWarnings) while (!this.halting && (await tokenWarnings.warnExpiringTokens(batchSize)) === batchSize);
    while (!this.halting) {
      const leaseTimer = metrics.schedulerLeaseDuration.startTimer();
      const batch = await this.leases.take({ kind: "due" }, batchSize, leaseMs);
      leaseTimer();
      if (batch.domains.length === 0) break;
      metrics.schedulerLeased.inc(batch.domains.length);
      const batchTimer = metrics.schedulerBatchDuration.startTimer();
      results.push(...(await this.runner.run(batch, SYSTEM_ACTOR, null, (result) => metrics.schedulerResults.inc({ result }))));
      batchTimer();
      if (batch.domains.length < batchSize) break;
    }
    metrics.schedulerRuns.inc({ result: "ok" });
    return results;
  }
}
