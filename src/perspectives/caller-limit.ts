/**
 * Requests per caller, per minute, counted in memory: a perspective is stateless and runs alone,
 * and every primary shares one secret, so the caller is its address.
 */
export class CallerLimit {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a request; answers the seconds to wait when the caller is over its limit, else 0. */
  take(caller: string): number {
    const now = this.now();
    let window = this.windows.get(caller);
    if (!window || now - window.startedAt >= 60_000) {
      window = { startedAt: now, count: 0 };
      this.windows.set(caller, window);
      // Forgetting finished windows keeps the map as small as the callers of the last minute.
      if (this.windows.size > 10_000) this.forgetOld(now);
    }
    window.count++;
    return window.count > this.perMinute ? Math.ceil((window.startedAt + 60_000 - now) / 1000) : 0;
  }

  private forgetOld(now: number): void {
    for (const [caller, window] of this.windows) if (now - window.startedAt >= 60_000) this.windows.delete(caller);
  }
}
