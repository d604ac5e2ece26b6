import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { Registry, collectDefaultMetrics } from "prom-client";
import type { Config } from "./config";

/** One registry per app, so several apps in one process (tests) never double-register; features add their metrics to it. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "dnsproof_" });
  return registry;
}

/** The first `limit` values seen pass as they are; later new ones become "other", so a label's series stay few. */
export function boundedLabels(limit: number): (value: string) => string {
  const known = new Set<string>();
  return (value) => {
    if (known.has(value)) return value;
    if (known.size >= limit) return "other";
    known.add(value);
    return value;
  };
}

/**
 * /metrics names operations, codes and volumes: open outside production, and in production only
 * with `Authorization: Bearer <METRICS_TOKEN>` unless METRICS_PUBLIC=true. 401 otherwise.
 */
export function metricsAccess(settings: Config["metrics"]): RequestHandler {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  const expected = settings.token === undefined ? null : digest(settings.token);
  return (req, res, next) => {
    if (settings.public) return next();
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
    if (expected && presented !== undefined && timingSafeEqual(digest(presented), expected)) return next();
    res.status(401).set("www-authenticate", 'Bearer realm="metrics"').type("text/plain").send("Send Authorization: Bearer <METRICS_TOKEN>.\n");
  };
}
