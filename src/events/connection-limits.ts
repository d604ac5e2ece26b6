/**
 * Open connections counted by a key (a client address, an account), each key held to `max`.
 * Taking a place and counting it are one synchronous step, so connections that arrive
 * together cannot all slip under the cap.
 */
export class ConnectionCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes a place for `key`; false, and nothing counted, when `key` already holds `max`. */
  tryAcquire(key: string): boolean {
    const held = this.counts.get(key) ?? 0;
    if (held >= this.max) return false;
    this.counts.set(key, held + 1);
    return true;
  }

  release(key: string): void {
    const left = (this.counts.get(key) ?? 1) - 1;
    if (left <= 0) this.counts.delete(key);
    else this.counts.set(key, left);
  }

  held(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/** setTimeout holds at most 2^31-1 ms; longer waits are re-armed until `at`. */
const MAX_TIMER_MS = 2_147_483_647;

/** Calls `then` at `at` (a token's expiry, however far off); the returned function cancels it. */
export function callAt(at: Date, then: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = at.getTime() - Date.now();
    if (left <= 0) return then();
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
