import type { Domain } from "../domains/domain.entity";
import type { LeasedBatch } from "./domain-leases";

/** Leases the next batch; an empty one, or null, means nothing more is due (or the run is stopping). */
export type BatchSource = () => Promise<LeasedBatch | null>;

/** One leased claim handed out by a ClaimFeed. */
export interface FedClaim {
  domain: Domain;
  lease: string;
  batch: BatchProgress;
}

/** How far one leased batch got: when `remaining` reaches zero every claim of it is recorded. */
export interface BatchProgress {
  size: number;
  remaining: number;
}

export interface ClaimFeedOptions {
  /** Claims one lease asks for (SCHEDULER_BATCH_SIZE). */
  batchSize: number;
  /**
   * A batch leased while no claim was in hand came back smaller than asked: nothing more is due,
   * stop leasing. True by default. One leased while claims were still being recorded may have
   * come back short only because their transactions held rows the lease skips (SKIP LOCKED); the
   * feed leases again once they are all recorded, and stops only if that one is short too.
   */
  stopOnShortBatch?: boolean;
  /** Sees a batch as it is leased, and once every claim of it was recorded. */
  onBatchStarted?: (batch: BatchProgress) => void;
  onBatchDone?: (batch: BatchProgress) => void;
}

/**
 * Hands out leased claims one at a time and leases the next batch while the last claims of
 * the one in hand are still being checked, so lookups never wait for a batch's slowest one.
 * At most two batches are in hand: the next is leased once fewer than a batch's worth of
 * claims are unfinished, so memory stays bounded by twice the batch size whatever the load.
 */
export class ClaimFeed {
  private readonly queue: FedClaim[] = [];
  private unfinished = 0;
  private leasing: Promise<void> | null = null;
  private exhausted = false;
  private failure: unknown = null;
  private waiters: (() => void)[] = [];
  /** The last lease came back short while claims were in hand: lease again once none is. */
  private retryWhenIdle = false;

  constructor(
    private readonly source: BatchSource,
    private readonly options: ClaimFeedOptions,
  ) {}

  /** The next claim to check; null once nothing more is due and every leased claim was handed out. */
  async take(): Promise<FedClaim | null> {
    for (;;) {
      this.refill();
      const next = this.queue.shift();
      if (next) {
        this.refill();
        return next;
      }
      if (this.exhausted && !this.leasing) return null;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** A claim handed out is recorded, skipped or failed: room for the next batch. */
  finished(claim: FedClaim): void {
    this.unfinished--;
    if (--claim.batch.remaining === 0) this.options.onBatchDone?.(claim.batch);
    this.wake();
  }

  /** Stops leasing and hands back the claims not yet handed out, to be released. */
  drain(): FedClaim[] {
    this.exhausted = true;
    const left = this.queue.splice(0);
    for (const claim of left) this.finished(claim);
    return left;
  }

  /** What leasing failed with, if it did: the run reports it once its claims in hand are recorded. */
  get error(): unknown {
    return this.failure;
  }

  private refill(): void {
    if (this.leasing || this.exhausted || this.unfinished >= this.options.batchSize) return;
    if (this.retryWhenIdle && this.unfinished > 0) return;
    this.retryWhenIdle = false;
    const inHand = this.unfinished > 0;
    this.leasing = this.source()
      .then(
        (batch) => {
          const domains = batch?.domains ?? [];
          const short = domains.length === 0 || (domains.length < this.options.batchSize && this.options.stopOnShortBatch !== false);
          // Null is the source saying it has nothing more (or is stopping): no second try then.
          if (short && inHand && batch) this.retryWhenIdle = true;
          else if (short) this.exhausted = true;
          if (!batch || domains.length === 0) return;
          const progress: BatchProgress = { size: domains.length, remaining: domains.length };
          this.options.onBatchStarted?.(progress);
          this.unfinished += domains.length;
          for (const domain of domains) this.queue.push({ domain, lease: batch.lease, batch: progress });
        },
        (error: unknown) => {
          this.failure = error;
          this.exhausted = true;
        },
      )
      .finally(() => {
        this.leasing = null;
        this.wake();
      });
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }
}
