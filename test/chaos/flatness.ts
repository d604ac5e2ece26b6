/**
 * The soak's verdict on each series of samples: after a warm-up (the first fifth, at least a
 * minute, left out), the least-squares line's change over the window and the difference between
 * the last and first thirds' medians, each against a band of 10 % of the mean or one unit.
 */
export interface Sample {
  t: number;
  series: Record<string, number>;
}

/** Each series after its warm-up: the fitted change and the thirds' medians against the band; the verdicts. */
export function slopes(samples: Sample[], started: number, sampleMs: number): { table: string; allFlat: boolean; warmUpSeconds: number } {
  const bySeries = new Map<string, { t: number; v: number }[]>();
  for (const sample of samples) for (const [name, v] of Object.entries(sample.series)) if (Number.isFinite(v)) bySeries.set(name, [...(bySeries.get(name) ?? []), { t: sample.t, v }]);
  const rows: string[] = [];
  let allFlat = true;
  let warmUpSeconds = 0;
  for (const [name, points] of [...bySeries].sort(([a], [b]) => a.localeCompare(b))) {
    points.sort((a, b) => a.t - b.t);
    const warmUp = Math.min(Math.max(Math.ceil(points.length / 5), Math.ceil(60_000 / sampleMs)), Math.max(0, points.length - 3));
    const measured = points.slice(warmUp);
    warmUpSeconds = Math.max(warmUpSeconds, Math.round((measured[0].t - started) / 1000));
    const judged = judge(measured);
    // Falling is no leak (a cache trimmed, a pool's idle connections closed); drifting is not shown flat.
    allFlat &&= judged.verdict === "flat" || judged.verdict === "FALLS";
    rows.push(
      `| ${name} | ${measured.length} | ${judged.mean.toFixed(1)} | ${judged.p99.toFixed(1)} | ${judged.slope.toFixed(2)} /h | ${signed(judged.change)} | ${signed(judged.thirds)} | ±${judged.band.toFixed(1)} | ${judged.verdict} |`,
    );
  }
  const table = [
    "| series | samples after warm-up | mean | p99 | slope | fitted change over the window | last third's median − first third's | band | verdict |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
  return { table, allFlat, warmUpSeconds };
}

/** flat: both measures within the band; GROWS or FALLS: both past it the same way; else drifts (noise or a slow trend). */
export function judge(measured: { t: number; v: number }[]) {
  const fit = leastSquares(measured.map((p) => [(p.t - measured[0].t) / 3_600_000, p.v]));
  const windowHours = (measured[measured.length - 1].t - measured[0].t) / 3_600_000;
  const values = measured.map((p) => p.v);
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const change = fit.slope * windowHours;
  const third = Math.max(1, Math.floor(values.length / 3));
  const thirds = median(values.slice(-third)) - median(values.slice(0, third));
  const band = Math.max(0.1 * Math.abs(mean), 1);
  const past = (d: number) => (d > band ? 1 : d < -band ? -1 : 0);
  const [a, b] = [past(change), past(thirds)];
  const verdict = a === 0 && b === 0 ? "flat" : a === 1 && b === 1 ? "GROWS" : a === -1 && b === -1 ? "FALLS" : "drifts";
  const p99 = [...values].sort((x, y) => x - y)[Math.floor(0.99 * (values.length - 1))];
  return { mean, p99, slope: fit.slope, change, thirds, band, verdict };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function signed(value: number): string {
  return `${value >= 0 ? "+" : ""}${value.toFixed(2)}`;
}

function leastSquares(points: number[][]): { slope: number; intercept: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, intercept: points[0]?.[1] ?? 0 };
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}
