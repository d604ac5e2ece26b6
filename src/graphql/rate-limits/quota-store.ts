import type { Identity, Store } from "graphql-rate-limit";

/** At most `max` calls in any `windowMs`. */
export interface Quota {
  max: number;
  windowMs: number;
}

export interface Reservation {
  /** True when the call fitted and was recorded. */
  recorded: boolean;
  /** Calls already in the window before this one. */
  counted: number;
}

/**
 * graphql-rate-limit's Store, made atomic: counting the window and recording the call are one
 * step, so calls that arrive together (aliases, batched operations, other instances) can never
 * all see room for one more. getForIdentity therefore decides and records; setForIdentity,
 * the library's second, racy half, has nothing left to do.
 *
 * Each identity's field part is a quota name (see RateLimitMiddleware), looked up in `quotas`.
 */
export abstract class QuotaStore implements Store {
  constructor(protected readonly quotas: Readonly<Record<string, Quota>>) {}

  quotaOf(name: string): Quota {
    const quota = this.quotas[name];
    if (!quota) throw new Error(`No rate-limit quota named "${name}"`);
    return quota;
  }

  async getForIdentity(identity: Identity): Promise<readonly number[]> {
    const { counted } = await this.reserve(keyOf(identity), this.quotaOf(identity.fieldIdentity));
    // The limiter filters these with its own clock a moment later: stamping them now keeps its
    // count equal to the decision made here (counted < max exactly when the call was recorded).
    return new Array<number>(counted).fill(Date.now());
  }

  setForIdentity(): void {}

  /** How long until the oldest call in the window leaves it, i.e. until one more call fits. */
  retryAfterMs(identity: Identity): Promise<number> {
    return this.untilSlotFrees(keyOf(identity), this.quotaOf(identity.fieldIdentity));
  }

  /** Whether `quota.max` calls are in the window now, without recording one. */
  async isFull(identity: Identity): Promise<boolean> {
    const quota = this.quotaOf(identity.fieldIdentity);
    return (await this.countInWindow(keyOf(identity), quota)) >= quota.max;
  }

  /** Records one call when there is room, as the limiter's getForIdentity does; false when there was none. */
  async record(identity: Identity): Promise<boolean> {
    return (await this.reserve(keyOf(identity), this.quotaOf(identity.fieldIdentity))).recorded;
  }

  /** Records `calls` calls when all of them fit, atomically; none when they do not. */
  async recordAll(identity: Identity, calls: number): Promise<Reservation> {
    return this.reserveMany(keyOf(identity), this.quotaOf(identity.fieldIdentity), calls);
  }

  protected abstract countInWindow(key: string, quota: Quota): Promise<number>;
  protected abstract reserveMany(key: string, quota: Quota, calls: number): Promise<Reservation>;

  /** Records one call when fewer than `quota.max` are in the window, atomically. */
  abstract reserve(key: string, quota: Quota): Promise<Reservation>;
  protected abstract untilSlotFrees(key: string, quota: Quota): Promise<number>;
  abstract close(): Promise<void>;
  /** Whether calls can be counted right now; /readyz asks it. */
  abstract ping(): Promise<boolean>;
}

function keyOf(identity: Identity): string {
  return `${identity.contextIdentity}:${identity.fieldIdentity}`;
}
