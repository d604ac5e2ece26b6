/** What a raced operation yields when the deadline passed first. */
export const EXPIRED = Symbol("deadline expired");

/**
 * One time budget for every query of a verification, rather than a timeout per query, whose sum
 * would be no bound: expiry settles every raced promise at once and runs the registered
 * cancellations (the DNS client closes its sockets).
 */
export class Deadline {
  private readonly endsAt: number;
  private readonly timer: NodeJS.Timeout;
  private readonly cleanups: (() => void)[] = [];
  private finished = false;
  private signalExpiry!: () => void;
  private readonly expiry: Promise<typeof EXPIRED>;

  constructor(ms: number) {
    this.endsAt = performance.now() + ms;
    this.expiry = new Promise((resolve) => {
      this.signalExpiry = () => resolve(EXPIRED);
    });
    this.timer = setTimeout(() => this.finish(), ms);
  }

  get expired(): boolean {
    return this.finished;
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - performance.now());
  }

  race<T>(work: Promise<T>): Promise<T | typeof EXPIRED> {
    return Promise.race([work, this.expiry]);
  }

  /** Runs `cleanup` when the deadline passes or the verification ends, whichever is first. */
  onFinish(cleanup: () => void): void {
    if (this.finished) cleanup();
    else this.cleanups.push(cleanup);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.signalExpiry();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}
