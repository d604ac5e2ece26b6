import { performance } from "node:perf_hooks";

/** What a closed-loop load came back with; latencies in milliseconds. */
export interface LoadFigures {
  requests: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
}

/**
 * Keeps `concurrency` requests in flight for `durationMs` (request i is `run(i)`) and reports
 * what came back; a request that throws counts as an error. Bounded in time, whatever answers.
 */
export async function closedLoop(run: (i: number) => Promise<boolean>, durationMs: number, concurrency: number): Promise<LoadFigures> {
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() - started < durationMs) {
      const t0 = performance.now();
      const ok = await run(issued++).catch(() => false);
      latencies.push(performance.now() - t0);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(2));
  return { requests: latencies.length, perSecond: Math.round(latencies.length / elapsed), p50: at(0.5), p95: at(0.95), p99: at(0.99), errors };
}
