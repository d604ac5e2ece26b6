import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";
import { ErrorCode, HTTP_STATUS, httpErrorBody } from "../errors";
import type { QuotaStore } from "./quota-store";
import { RateLimitQuota } from "./rate-limit.middleware";

/**
 * Requests without credentials per client IP (RATE_LIMIT_ANONYMOUS_PER_MINUTE), counted before
 * the document is even parsed: an anonymous caller can do little but make the server parse and
 * validate, so that is what it may not do at request speed. `isAnonymous` says whether a request
 * presents credentials of any kind (a bearer token, an API key, a client certificate).
 * A store that cannot be reached lets requests through, as for failed authentications.
 */
export function anonymousRequestLimit(store: QuotaStore, logger: Logger, isAnonymous: (req: Request) => Promise<boolean>): RequestHandler {
  let storeFailing = false;
  return async (req, res, next) => {
    try {
      if (!(await isAnonymous(req))) return next();
      const who = { contextIdentity: `ip:${req.ip ?? "unknown"}`, fieldIdentity: RateLimitQuota.ANONYMOUS_REQUESTS };
      storeFailing = false;
      if (await store.record(who)) return next();
      const retryAfterSeconds = Math.max(1, Math.ceil((await store.retryAfterMs(who)) / 1000));
      const max = store.quotaOf(RateLimitQuota.ANONYMOUS_REQUESTS).max;
      res
        .status(HTTP_STATUS.RATE_LIMITED!)
        .set("retry-after", String(retryAfterSeconds))
        .json(
          httpErrorBody(
            ErrorCode.RATE_LIMITED,
            `Too many requests without credentials from this address (at most ${max} a minute). Sign in, or try again in ${retryAfterSeconds} s.`,
            { retryAfterSeconds },
          ),
        );
    } catch (err) {
      if (!storeFailing) logger.warn({ err }, "rate-limit store failed; requests without credentials are not limited meanwhile");
      storeFailing = true;
      next();
    }
  };
}
