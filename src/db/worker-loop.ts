import { detachedFromRequest } from "../shared/deadline";

/** One background job on a WorkerLoop. */
export interface WorkerJob {
  /** Does what is due now. The loop never runs two of its own passes at once. */
  pass(): Promise<unknown>;
  /** Resolves once the work that passes started without waiting for it is done (POSTs in flight). */
  settle?(): Promise<unknown>;
}

export interface WorkerLoopOptions {
  /** The pause after a pass before the next, unless wake() cuts it short. */
  intervalMs: number;
  /** Sees a pass that failed; the loop goes on after the pause all the same. */
  onError(error: unknown): void;
}

/**
 * How every background worker here runs: start() runs a pass at once, each pass is followed
 * by a pause of intervalMs, wake() runs a pass now (or right after the one in hand), and
 * stop() takes no further pass and resolves once the work in hand is done. A waiting loop
 * never keeps the process alive by itself.
 */
export class WorkerLoop {
  private timer: NodeJS.Timeout | null = null;
  private passing: Promise<void> | null = null;
  private again = false;
  private started = false;
  private stopping = false;
  private readonly inHand = new Set<Promise<unknown>>();

  constructor(
    private readonly job: WorkerJob,
    private readonly options: WorkerLoopOptions,
  ) {}

  /** True from stop() until the next start(): a pass in hand finishes what it holds and takes nothing more. */
  get halting(): boolean {
    return this.stopping;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    this.wake();
  }

  /** Runs a pass now, or once more right after the pass in hand; nothing while the loop is not started. */
  wake(): void {
    if (!this.started || this.stopping) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    this.clearTimer();
    // A request's commit may wake the loop: its pass must not inherit that request's deadline.
    this.passing = this.track(detachedFromRequest(() => this.job.pass()))
      .then(
        () => undefined,
        (error) => this.options.onError(error),
      )
      .finally(() => {
        this.passing = null;
        if (this.again) {
          this.again = false;
          this.wake();
        } else if (this.started && !this.stopping) {
          this.timer = detachedFromRequest(() => setTimeout(() => this.wake(), this.options.intervalMs));
          this.timer.unref();
        }
      });
  }

  /** Counts `work` as in hand, so that stop() waits for it: how a test's pass by hand joins the loop's own. */
  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.inHand.add(settled);
    void settled.finally(() => this.inHand.delete(settled));
    return work;
  }

  /** Takes no further pass and resolves once every pass in hand, and what the job left running, is done. */
  async stop(): Promise<void> {
    this.started = false;
    this.stopping = true;
    this.clearTimer();
    await Promise.all(this.inHand);
    await this.job.settle?.();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
