/** How often and how patiently a whole transaction is run again after it lost a conflict. */
export interface RetryPolicy {
  /** Runs in all, the first included. */
  attempts: number;
  /** The cap on the first pause; each later cap doubles. */
  baseDelayMs: number;
  /** No pause is longer, however many attempts came before. */
  maxDelayMs: number;
}

/**
 * Enough for 30 changes of one account sent at once through three Galera nodes to all settle
 * (every one of them bumps the same account row, so each round only one per conflict wins);
 * past that the database is too contended or a node is leaving, and the caller is better told
 * to come back. The pauses add up to about 4 s at worst.
 */
export const TRANSACTION_RETRIES: RetryPolicy = { attempts: 10, baseDelayMs: 20, maxDelayMs: 1000 };

export interface RetryDependencies {
  /** In [0, 1), like Math.random. */
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Told each time a transaction is about to run again, so how contended the database is can be counted. */
  onRetry?: (attempt: number) => void;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The pause before attempt `attempt + 1`, "full jitter": anywhere from zero to an exponentially
 * growing cap, so that the transactions which collided once do not collide again in step.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * cap);
}

/** What a conflict that outlasted every attempt becomes: the caller may try again later. */
export class ConflictPersisted extends Error {
  constructor(
    readonly attempts: number,
    readonly retryAfterSeconds: number,
    override readonly cause: unknown,
  ) {
    super(`The transaction lost a write conflict ${attempts} times in a row`);
    this.name = "ConflictPersisted";
  }
}

/**
 * Runs `run` until it succeeds, fails with something `isConflict` does not recognise, or has
 * used every attempt. `run` must be a whole transaction: a statement retried alone would
 * continue a transaction the database already rolled back.
 */
export async function withRetries<T>(
  run: () => Promise<T>,
  isConflict: (error: unknown) => boolean,
  policy: RetryPolicy = TRANSACTION_RETRIES,
  dependencies: Partial<RetryDependencies> = {},
): Promise<T> {
  const { random = Math.random, sleep = realSleep, onRetry } = dependencies;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!isConflict(error)) throw error;
      if (attempt >= policy.attempts) throw new ConflictPersisted(attempt, Math.max(1, Math.ceil(policy.maxDelayMs / 1000)), error);
      onRetry?.(attempt);
      await sleep(backoffMs(policy, attempt, random));
    }
  }
}
