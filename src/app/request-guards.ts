import type { RequestHandler, Response } from "express";
import { ErrorCode, HTTP_STATUS, httpErrorBody } from "../graphql/errors";
import { deadlineAfter, withinDeadline, type RequestDeadline } from "../shared/deadline";
import type { ResilienceMetrics } from "../shared/resilience.metrics";
import type { Foreground } from "../shared/foreground";

/** Probes and scrapes are never shed nor cut: they are how an operator sees an overloaded instance. */
const UNGUARDED = new Set(["/healthz", "/readyz", "/metrics"]);

declare module "http" {
  interface IncomingMessage {
    /** Set by requestGuards: when this request's answer is due. */
    deadline?: RequestDeadline;
  }
}

function refuse(res: Response, message: string, retryAfterSeconds: number): void {
  res
    .status(HTTP_STATUS.SERVICE_UNAVAILABLE!)
    .set("retry-after", String(retryAfterSeconds))
    .json(httpErrorBody(ErrorCode.SERVICE_UNAVAILABLE, message, { retryAfterSeconds }));
}

/**
 * Overload and deadline, before anything else is done for a request. Past `maxInflight`
 * requests in hand the answer is 503 at once (queueing without bound only makes every request
 * late). Each admitted request gets its deadline: what it awaits is bounded by what is left of
 * it (withRequestDeadline), and should something still be running when it passes, the client
 * is answered SERVICE_UNAVAILABLE then and whatever the abandoned work writes later is dropped.
 */
export function requestGuards(options: { maxInflight: number; timeoutMs: number; metrics: ResilienceMetrics; foreground?: Foreground }): RequestHandler {
  const { maxInflight, timeoutMs, metrics, foreground } = options;
  let inflight = 0;
  const retryAfterSeconds = Math.max(1, Math.ceil(timeoutMs / 1000 / 2));
  return (req, res, next) => {
    if (UNGUARDED.has(req.path)) return next();
    if (inflight >= maxInflight) {
      metrics.requestsShed.inc({ kind: "http" });
      return refuse(res, `This instance is serving ${maxInflight} requests already (MAX_INFLIGHT_REQUESTS); try again shortly.`, 1);
    }
    inflight++;
    foreground?.enter();
    metrics.requestsInflight.set(inflight);
    const deadline = (req.deadline = deadlineAfter(timeoutMs));
    let expired = false;
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      expired = true;
      metrics.dependencyTimeouts.inc({ dependency: "request" });
      refuse(res, `The request did not finish within its ${timeoutMs} ms deadline (a dependency is slow); try again shortly.`, retryAfterSeconds);
      muzzle(res);
    }, timeoutMs);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Work a request left running after answering in time gets background bounds; work it abandoned stays spent.
      if (!expired) deadline.finished = true;
      inflight--;
      foreground?.leave();
      metrics.requestsInflight.set(inflight);
    };
    res.once("finish", finish).once("close", finish);
    next();
  };
}

/**
 * Puts the request's deadline in force for everything after it. Placed after the body parser:
 * stream callbacks run in the context the socket was opened in, so a deadline set before the
 * body is read would be lost on the way.
 */
export const withRequestDeadline: RequestHandler = (req, _res, next) => {
  if (!req.deadline) return next();
  withinDeadline(req.deadline, next);
};

/** After the deadline's answer went out, what the abandoned work tries to send is dropped. */
function muzzle(res: Response): void {
  res.setHeader = () => res;
  res.writeHead = () => res;
  res.write = () => true;
  res.end = () => res;
}
