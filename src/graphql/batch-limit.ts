import type { RequestHandler } from "express";
import { ErrorCode, HTTP_STATUS, httpErrorBody } from "./errors";

/** Refuses a batched request (a JSON array of operations) longer than `maxOperations`, before any of it is parsed as GraphQL. */
export function batchLimit(maxOperations: number): RequestHandler {
  return (req, res, next) => {
    if (Array.isArray(req.body) && req.body.length > maxOperations) {
      res
        .status(HTTP_STATUS.TOO_MANY_OPERATIONS!)
        .json(httpErrorBody(ErrorCode.TOO_MANY_OPERATIONS, `A batch may hold at most ${maxOperations} operations; this one holds ${req.body.length}.`));
      return;
    }
    next();
  };
}
