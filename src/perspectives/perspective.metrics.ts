import { Counter, Registry } from "prom-client";

/** What the remote perspectives said, and how often corroboration held. */
export function perspectiveMetrics(registry: Registry) {
  return {
    perspectiveAnswers: new Counter({
      name: "dnsproof_perspective_answers_total",
      help: "Remote perspectives' results, by perspective (its configured URL's host) and result: corroborated, not_seen, or error (unreachable, unsigned, bad signature, stale, replayed)",
      labelNames: ["perspective", "result"] as const,
      registers: [registry],
    }),
    corroborations: new Counter({
      name: "dnsproof_corroborations_total",
      help: "Checks the local lookups concluded VERIFIED, by whether the perspectives corroborated them (met or short) and whether it was a re-check",
      labelNames: ["result", "recheck"] as const,
      registers: [registry],
    }),
  };
}
