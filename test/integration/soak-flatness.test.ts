import { judge, slopes, type Sample } from "../chaos/flatness";

const MINUTE = 60_000;

/** Thirty minutes sampled every 10 s: value(i) for the i-th sample. */
function series(value: (i: number) => number): { t: number; v: number }[] {
  return Array.from({ length: 180 }, (_, i) => ({ t: i * 10_000, v: value(i) }));
}

describe("the soak's flatness verdict", () => {
  it("calls a steady series with noise flat", () => {
    expect(judge(series((i) => 70 + (i % 7) - 3)).verdict).toBe("flat");
  });

  it("calls a series that climbs past the band GROWS, and one that sinks FALLS", () => {
    expect(judge(series((i) => 30 + i * 0.05)).verdict).toBe("GROWS");
    expect(judge(series((i) => 60 - i * 0.1)).verdict).toBe("FALLS");
  });

  it("calls a lone late spike drifts, not GROWS: the medians do not move", () => {
    const spiky = series((i) => (i > 170 ? 400 : 50));
    const judged = judge(spiky);
    expect(judged.thirds).toBe(0);
    expect(judged.verdict).toBe("drifts");
  });

  it("leaves the warm-up out: a pool filling up during the first fifth is flat afterwards", () => {
    const samples: Sample[] = series((i) => Math.min(20, 5 + i)).map((p) => ({ t: p.t, series: { connections: p.v } }));
    const { allFlat, warmUpSeconds, table } = slopes(samples, 0, 10_000);
    expect(warmUpSeconds).toBe((36 * 10_000) / 1000);
    expect(warmUpSeconds).toBeGreaterThanOrEqual(MINUTE / 1000);
    expect(table).toContain("| connections | 144 |");
    expect(allFlat).toBe(true);
  });

  it("passes a falling series, fails a drifting one", () => {
    const falling: Sample[] = series((i) => 60 - i * 0.1).map((p) => ({ t: p.t, series: { p99: p.v } }));
    expect(slopes(falling, 0, 10_000).allFlat).toBe(true);
    const drifting: Sample[] = series((i) => (i > 170 ? 400 : 50)).map((p) => ({ t: p.t, series: { p99: p.v } }));
    expect(slopes(drifting, 0, 10_000).allFlat).toBe(false);
  });

  it("judges the same filling pool GROWS when nothing is left out", () => {
    const judged = judge(series((i) => Math.min(20, 5 + i * 0.1)));
    expect(judged.verdict).toBe("GROWS");
  });
});
