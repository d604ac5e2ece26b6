import { Quota, QuotaStore, Reservation } from "./quota-store";

/** The in-process store: one instance's counts, atomic because nothing awaits between count and record. */
export class MemoryQuotaStore extends QuotaStore {
  /** Call times per key, oldest first. */
  private readonly calls = new Map<string, number[]>();
  private lastSweep = Date.now();

  async reserve(key: string, quota: Quota): Promise<Reservation> {
    return this.reserveMany(key, quota, 1);
  }

  protected async reserveMany(key: string, quota: Quota, calls: number): Promise<Reservation> {
    const now = Date.now();
    this.sweep(now);
    const live = this.live(key, quota, now);
    if (live.length + calls > quota.max) return { recorded: false, counted: live.length };
    const counted = live.length;
    for (let i = 0; i < calls; i++) live.push(now);
    this.calls.set(key, live);
    return { recorded: true, counted };
  }

  protected async countInWindow(key: string, quota: Quota): Promise<number> {
    return this.live(key, quota, Date.now()).length;
  }

  protected async untilSlotFrees(key: string, quota: Quota): Promise<number> {
    const now = Date.now();
    const oldest = this.live(key, quota, now)[0];
    return oldest === undefined ? 0 : oldest + quota.windowMs - now;
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.calls.clear();
  }

  private live(key: string, quota: Quota, now: number): number[] {
    return (this.calls.get(key) ?? []).filter((at) => at + quota.windowMs > now);
  }

  /** Forgets callers whose calls all left every window, so many one-off clients cannot grow the map for good. */
  private sweep(now: number): void {
    const longestWindow = Math.max(...Object.values(this.quotas).map((q) => q.windowMs));
    if (now - this.lastSweep < longestWindow) return;
    this.lastSweep = now;
    for (const [key, times] of this.calls) {
      if (times[times.length - 1] + longestWindow <= now) this.calls.delete(key);
    }
  }
}
