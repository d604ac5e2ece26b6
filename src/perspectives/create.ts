/** The composition root's one call: the local verifier, corroborated by the configured perspectives. */
import type { Config } from "../shared/config";
import type { perspectiveMetrics } from "./perspective.metrics";
import type { DomainVerifier } from "../verification/types";
import { withCorroboration } from "./corroborating-verifier";
import { createPerspectiveClient } from "./perspective-client";

export function corroboratedVerifier(local: DomainVerifier, config: Config, metrics: ReturnType<typeof perspectiveMetrics>): DomainVerifier {
  const { urls, secret, quorum, minRegions } = config.perspectives;
  const clients = urls.map((url) => createPerspectiveClient(url, { secret: secret! }));
  // Metric labels come from configuration (URL hosts), never from what a perspective declares.
  const labelOf = new Map<string, string>();
  return withCorroboration(local, clients, {
    timeoutMs: config.dns.timeoutMs,
    cnameZone: config.dns.cnameZone,
    quorum,
    minRegions,
    onPerspective: (result, url) => {
      const label = labelOf.get(url) ?? labelOf.set(url, new URL(url).host).get(url)!;
      metrics.perspectiveAnswers.inc({ perspective: label, result: result.corroborates ? "corroborated" : result.error ? "error" : "not_seen" });
    },
    onCorroboration: ({ met, recheck }) => metrics.corroborations.inc({ result: met ? "met" : "short", recheck: String(recheck) }),
  });
}
