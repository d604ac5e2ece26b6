import type { RequestHandler } from "express";
import type { ResilienceMetrics } from "../shared/resilience.metrics";

const TICK_MS = 100;
/** How long /healthz keeps failing after a block: long enough for a liveness probe's period to see it. */
const REMEMBER_MS = 60_000;

export interface EventLoopWatch {
  /** The longest block seen in the last minute past the threshold, or null. */
  recentBlockMs(): number | null;
  stop(): void;
}

/**
 * Watches the event loop with a timer that should fire every 100 ms: how late it fires is how
 * long the loop was blocked. A blocked loop cannot answer /healthz itself, but the timer's late
 * tick runs before the next request is read, so the probe after a block sees it.
 */
export function watchEventLoop(thresholdMs: number, metrics: ResilienceMetrics): EventLoopWatch {
  let expected = performance.now() + TICK_MS;
  let block: { at: number; ms: number } | null = null;
  let longest = { at: 0, ms: 0 };
  const timer = setInterval(() => {
    const now = performance.now();
    const lateMs = Math.max(0, now - expected);
    expected = now + TICK_MS;
    if (now - longest.at > REMEMBER_MS || lateMs > longest.ms) longest = { at: now, ms: lateMs };
    metrics.eventLoopBlockedSeconds.set(longest.ms / 1000);
    if (lateMs > thresholdMs) block = { at: now, ms: lateMs };
  }, TICK_MS);
  timer.unref();
  return {
    recentBlockMs: () => (block && performance.now() - block.at < REMEMBER_MS ? block.ms : null),
    stop: () => clearInterval(timer),
  };
}

/** /healthz: liveness only (no dependency is asked), but 503 for a minute after the event loop was blocked past HEALTH_EVENT_LOOP_BLOCKED_MS. */
export function livenessHandler(watch: EventLoopWatch, thresholdMs: number): RequestHandler {
  return (_req, res) => {
    const blockedMs = watch.recentBlockMs();
    if (blockedMs === null) return void res.json({ status: "ok" });
    res.status(503).json({ status: "event loop blocked", blockedMs: Math.round(blockedMs), thresholdMs });
  };
}
