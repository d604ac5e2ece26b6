import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module "express-serve-static-core" {
  interface Request {
    requestId: string;
  }
}

/** Echoes a well-formed incoming x-request-id (so traces join up across services) or makes one. */
export function requestId() {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header("x-request-id");
    req.requestId = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader("x-request-id", req.requestId);
    next();
  };
}
