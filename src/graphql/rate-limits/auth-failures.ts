import type { RequestHandler } from "express";
import type { Logger } from "pino";
import type { Authentication } from "../../shared/principal";
import { ErrorCode, HTTP_STATUS, httpErrorBody } from "../errors";
import type { QuotaStore } from "./quota-store";
import { RateLimitQuota } from "./rate-limit.middleware";

/**
 * Failed authentications per client IP (RATE_LIMIT_AUTH_FAILURES_PER_MINUTE): once an address
 * has failed that often in a minute, its credentials are not even looked at until the window
 * frees, so ADMIN_SECRET, API keys and JWT secrets cannot be guessed at request speed.
 * A store that cannot be reached lets requests through: a Redis outage must not lock every caller out.
 */
export function authFailureLimit(store: QuotaStore, logger: Logger) {
  const identity = (clientIp: string) => ({ contextIdentity: `ip:${clientIp}`, fieldIdentity: RateLimitQuota.AUTH_FAILURES });

  /**
   * Whether `clientIp` has failed too often to have its credentials looked at: null when it may
   * try, else the refusal to send. HTTP (gate) and WebSocket connections (src/events) ask the same.
   */
  const refusal = async (clientIp: string): Promise<{ message: string; retryAfterSeconds: number } | null> => {
    const who = identity(clientIp);
    try {
      if (!(await store.isFull(who))) return null;
      const retryAfterSeconds = Math.max(1, Math.ceil((await store.retryAfterMs(who)) / 1000));
      const max = store.quotaOf(RateLimitQuota.AUTH_FAILURES).max;
      return { message: `Too many failed authentications from this address (at most ${max} a minute). Try again in ${retryAfterSeconds} s.`, retryAfterSeconds };
    } catch (err) {
      logger.warn({ err }, "rate-limit store failed; failed authentications are not limited meanwhile");
      return null;
    }
  };

  /** Refuses, before Apollo, requests with credentials from an address that has failed too often. */
  const gate: RequestHandler = async (req, res, next) => {
    if (!req.headers.authorization) return next();
    const refused = await refusal(req.ip ?? "unknown");
    if (!refused) return next();
    res
      .status(HTTP_STATUS.RATE_LIMITED!)
      .set("retry-after", String(refused.retryAfterSeconds))
      .json(httpErrorBody(ErrorCode.RATE_LIMITED, refused.message, { retryAfterSeconds: refused.retryAfterSeconds }));
  };

  /** Counts `result` against the address when it is a failure. */
  const record = async (clientIp: string, result: Authentication): Promise<void> => {
    if (result.principal || result.problem === null) return;
    try {
      await store.record(identity(clientIp));
    } catch (err) {
      logger.warn({ err }, "rate-limit store failed; a failed authentication was not counted");
    }
  };

  return { gate, refusal, record };
}
