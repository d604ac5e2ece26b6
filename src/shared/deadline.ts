import { AsyncLocalStorage } from "node:async_hooks";

/**
 * One request's deadline, carried through everything the request awaits (AsyncLocalStorage),
 * so the database driver and the Redis client can bound each call by what is left of it.
 */
export interface RequestDeadline {
  /** performance.now() at which the request's answer is due. */
  readonly at: number;
  /**
   * Set once the request was answered in time: work it left running (a signal, a wake-up)
   * then gets the static bounds of background work rather than a deadline already spent.
   */
  finished: boolean;
}

const current = new AsyncLocalStorage<RequestDeadline>();

/** Which dependency's own bound was hit; also the metric's label. */
export type DependencyName = "request" | "database_statement" | "database_pool" | "redis";

/**
 * A dependency did not answer within its bound, or the request's deadline was spent before the
 * call was made. Clients see SERVICE_UNAVAILABLE with retryAfterSeconds: the same call may pass
 * once the dependency is back.
 */
export class DependencyTimeout extends Error {
  readonly code = "DEPENDENCY_TIMEOUT";
  constructor(
    readonly dependency: DependencyName,
    readonly afterMs: number,
    readonly retryAfterSeconds = 1,
  ) {
    super(`${dependency} did not answer within ${Math.round(afterMs)} ms`);
    this.name = "DependencyTimeout";
  }
}

export function deadlineAfter(timeoutMs: number): RequestDeadline {
  return { at: performance.now() + timeoutMs, finished: false };
}

/** Runs `work` (and everything it awaits) under `deadline`. */
export function withinDeadline<T>(deadline: RequestDeadline, work: () => T): T {
  return current.run(deadline, work);
}

/**
 * Work no bound may cut: schema migrations, whose ALTER TABLE on a large table rebuilds it for
 * minutes. Cutting one would roll it back, and every start after would try it again.
 */
const UNBOUNDED: RequestDeadline = { at: Number.POSITIVE_INFINITY, finished: false };

/** Runs `work` (and everything it awaits) with no bound on its statements or its pool waits. */
export function withoutBounds<T>(work: () => T): T {
  return current.run(UNBOUNDED, work);
}

/** Runs `work` outside any request's deadline: background passes a request happened to wake. */
export function detachedFromRequest<T>(work: () => T): T {
  return current.exit(work);
}

/**
 * How long the call about to be made may take: what is left of the request's deadline, never
 * more than `staticBoundMs` (the dependency's own bound). 0 when the deadline is spent;
 * Infinity inside withoutBounds.
 */
export function boundFor(staticBoundMs: number): number {
  const deadline = current.getStore();
  if (deadline === UNBOUNDED) return Number.POSITIVE_INFINITY;
  if (!deadline || deadline.finished) return staticBoundMs;
  return Math.max(0, Math.min(staticBoundMs, deadline.at - performance.now()));
}

/** Each dependency's bound, derived from REQUEST_TIMEOUT_MS. */
export interface DependencyBounds {
  /** A whole request: past it the client is answered SERVICE_UNAVAILABLE. */
  requestMs: number;
  /** One SQL statement (background work too). */
  statementMs: number;
  /** Waiting for a pooled database connection. */
  poolAcquireMs: number;
  /**
   * One Redis command. Short: Redis answers in a millisecond when it is well, and the rate limits
   * fall back to in-memory counters once it does not, so waiting longer only delays every request;
   * not so short that a busy instance's own event-loop lag counts as Redis being away (500 ms).
   */
  redisCommandMs: number;
}

export function dependencyBounds(requestTimeoutMs: number): DependencyBounds {
  return {
    requestMs: requestTimeoutMs,
    statementMs: requestTimeoutMs,
    poolAcquireMs: Math.max(50, Math.round(requestTimeoutMs / 2)),
    redisCommandMs: Math.min(1000, Math.max(500, Math.round(requestTimeoutMs / 10))),
  };
}
