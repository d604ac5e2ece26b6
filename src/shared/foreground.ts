/**
 * The requests an instance is serving now, so background work (the scheduler's sweep) can give
 * way to them: on one event loop, every check started while a request is in hand lengthens each
 * turn the request waits for. A leaf: the HTTP layer counts, the scheduler asks.
 */
export class Foreground {
  private active = 0;
  private waiters: (() => void)[] = [];

  /** A request was admitted; `leave` once it is answered or abandoned. */
  enter(): void {
    this.active++;
  }

  leave(): void {
    this.active = Math.max(0, this.active - 1);
    if (this.active === 0) this.wake();
  }

  get busy(): boolean {
    return this.active > 0;
  }

  /** Resolves once no request is in hand, or after `maxMs` at most, so background work never starves. */
  whenIdle(maxMs: number): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, maxMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }
}
