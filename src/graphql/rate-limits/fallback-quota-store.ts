import type { Logger } from "pino";
import { serviceUnavailable } from "../errors";
import { MemoryQuotaStore } from "./memory-quota-store";
import type { Quota, QuotaStore, Reservation } from "./quota-store";
import { QuotaStore as BaseQuotaStore } from "./quota-store";

/** How often a Redis that failed is asked again while the counts are kept in memory. */
const PROBE_MS = 1000;

export interface FallbackOptions {
  logger: Logger;
  /** RATE_LIMIT_FAIL_CLOSED: refuse rather than count locally while the shared store is away. */
  failClosed: boolean;
  /** Told true when the shared store is left, false when it is back. */
  onDegraded?: (degraded: boolean) => void;
}

type Internals = {
  reserveMany(key: string, quota: Quota, calls: number): Promise<Reservation>;
  countInWindow(key: string, quota: Quota): Promise<number>;
  untilSlotFrees(key: string, quota: Quota): Promise<number>;
};

/**
 * The shared (Redis) counts while Redis answers; each instance's own in-memory counts, at the
 * same limits, from its first failure until a probe finds it answering again. A slow Redis
 * costs one command's bound (its commandTimeout) once, not every request's deadline. With
 * failClosed, rate-limited calls are refused (SERVICE_UNAVAILABLE) meanwhile instead.
 */
export class FallbackQuotaStore extends BaseQuotaStore {
  private readonly local: MemoryQuotaStore;
  private degraded = false;
  private probe: NodeJS.Timeout | null = null;
  private probing = false;

  constructor(
    private readonly shared: QuotaStore,
    quotas: Readonly<Record<string, Quota>>,
    private readonly options: FallbackOptions,
  ) {
    super(quotas);
    this.local = new MemoryQuotaStore(quotas);
  }

  /** Whether the counts are this instance's own (or refused) right now. */
  get isDegraded(): boolean {
    return this.degraded;
  }

  reserve(key: string, quota: Quota): Promise<Reservation> {
    return this.use((store) => store.reserve(key, quota));
  }

  protected reserveMany(key: string, quota: Quota, calls: number): Promise<Reservation> {
    return this.use((store) => (store as unknown as Internals).reserveMany(key, quota, calls));
  }

  protected countInWindow(key: string, quota: Quota): Promise<number> {
    return this.use((store) => (store as unknown as Internals).countInWindow(key, quota));
  }

  protected untilSlotFrees(key: string, quota: Quota): Promise<number> {
    return this.use((store) => (store as unknown as Internals).untilSlotFrees(key, quota));
  }

  /** Whether the shared store answers (readiness asks; the counts go on locally either way). */
  ping(): Promise<boolean> {
    return this.shared.ping();
  }

  async close(): Promise<void> {
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
    await Promise.all([this.shared.close(), this.local.close()]);
  }

  private async use<T>(call: (store: QuotaStore) => Promise<T>): Promise<T> {
    if (!this.degraded) {
      try {
        return await call(this.shared);
      } catch (error) {
        this.leaveShared(error);
      }
    }
    if (this.options.failClosed) throw serviceUnavailable("The rate-limit store cannot be reached right now; try again shortly.", 1);
    return call(this.local);
  }

  private leaveShared(error: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.options.onDegraded?.(true);
    this.options.logger.warn(
      { err: error },
      this.options.failClosed
        ? "Redis is slow or away: rate-limited calls are refused until it answers again (RATE_LIMIT_FAIL_CLOSED)"
        : "Redis is slow or away: rate limits are counted by this instance alone until it answers again",
    );
    this.probe = setInterval(() => void this.tryShared(), PROBE_MS);
    this.probe.unref();
  }

  private async tryShared(): Promise<void> {
    if (!this.degraded || this.probing) return;
    this.probing = true;
    const answers = await this.shared.ping().finally(() => (this.probing = false));
    if (!answers || !this.degraded) return;
    this.degraded = false;
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
    this.options.onDegraded?.(false);
    this.options.logger.info("Redis answers again: rate limits are shared by every instance again");
  }
}
