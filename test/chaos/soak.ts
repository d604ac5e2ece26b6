/**
 * `npm run soak -- --minutes N`: the chaos suite's mixed load, without faults, for N minutes, on
 * two instances with long-lived subscriptions and webhook traffic. Every 10 s: each instance's
 * RSS, heap after a forced full GC, event-loop delay p99 and open file descriptors (test/chaos/
 * sampler.js, preloaded into the instances), the MariaDB connections (both pools) and the Redis
 * clients. Prints each series' least-squares slope and whether it is flat.
 *
 * Flat: after a warm-up (the first fifth of the samples, at least a minute), the fitted line
 * changes by at most 10 % of the series' mean over the measured window, or by at most one unit
 * (a connection, a descriptor, a millisecond) for small integer series. A leak grows without
 * bound, so it shows as a slope that carries the fitted line past that band.
 */
import "reflect-metadata";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLoad } from "./load";
import { startWorld, type World } from "./world";

const SAMPLE_MS = Number(process.env.SOAK_SAMPLE_MS ?? 10_000);

interface Sample {
  t: number;
  series: Record<string, number>;
}

export async function runSoak(minutes: number, log: (line: string) => void = console.log): Promise<{ table: string; allFlat: boolean }> {
  const dir = mkdtempSync(path.join(tmpdir(), "dnsproof-soak-"));
  const samplesFile = path.join(dir, "instances.jsonl");
  const world = await startWorld({
    instances: 2,
    requestTimeoutMs: 10_000,
    nodeArgs: ["--expose-gc", "-r", path.join(__dirname, "sampler.js")],
    env: { SOAK_SAMPLES_FILE: samplesFile, SOAK_SAMPLE_MS: String(SAMPLE_MS) },
  });
  const shared: Sample[] = [];
  try {
    const load = await startLoad(world, { accounts: 6, thinkMs: 100 });
    const started = Date.now();
    const timer = setInterval(() => shared.push({ t: Date.now(), series: sharedSeries(world) }), SAMPLE_MS);
    try {
      while (Date.now() - started < minutes * 60_000) {
        await new Promise((resolve) => setTimeout(resolve, 5000));
        log(`soak: ${Math.round((Date.now() - started) / 1000)} s, ${load.records.length} requests, ${world.receiver.received.length} webhooks, ${load.streamed.size} streamed`);
      }
    } finally {
      clearInterval(timer);
      await load.stop();
    }
    const errors = load.records.filter((r) => r.code).length;
    const samples = [...instanceSamples(samplesFile, world), ...shared];
    const { table, allFlat } = slopes(samples);
    log(`\n${table}\n\n${minutes} min, ${load.records.length} requests (${errors} with errors), ${load.acknowledged.length} claims, ${world.receiver.received.length} webhook POSTs, ${load.streamed.size} entries streamed`);
    return { table, allFlat };
  } finally {
    await world.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Both pools' connections as MariaDB counts them, and Redis's clients. */
function sharedSeries(world: World): Record<string, number> {
  const threads = Number(world.mariadb.sql("SHOW STATUS LIKE 'Threads_connected'").split("\t")[1]);
  const info = spawnSync("redis-cli", ["-p", String(world.redis.port), "INFO", "clients"], { encoding: "utf8", timeout: 5000 }).stdout ?? "";
  const clients = Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? NaN);
  return { "MariaDB connections (both pools)": threads, "Redis clients": clients };
}

function instanceSamples(file: string, world: World): Sample[] {
  const names = new Map(world.instances.map((instance) => [instance.process.child.pid, instance.name]));
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .map((s) => {
      const name = names.get(s.pid) ?? `pid ${s.pid}`;
      return {
        t: s.t,
        series: {
          [`${name} RSS MB`]: s.rssMb,
          [`${name} heap after GC MB`]: s.heapAfterGcMb,
          [`${name} event-loop delay p99 ms`]: s.eventLoopP99Ms,
          [`${name} open fds`]: s.openFds,
        },
      };
    });
}

/** Least-squares slope per series, per hour, over the samples after the warm-up; and the flatness verdict. */
export function slopes(samples: Sample[]): { table: string; allFlat: boolean } {
  const bySeries = new Map<string, { t: number; v: number }[]>();
  for (const sample of samples) for (const [name, v] of Object.entries(sample.series)) if (Number.isFinite(v)) bySeries.set(name, [...(bySeries.get(name) ?? []), { t: sample.t, v }]);
  const rows: string[] = [];
  let allFlat = true;
  for (const [name, points] of [...bySeries].sort(([a], [b]) => a.localeCompare(b))) {
    points.sort((a, b) => a.t - b.t);
    const warmUp = Math.max(Math.ceil(points.length / 5), Math.ceil(60_000 / SAMPLE_MS));
    const measured = points.slice(Math.min(warmUp, Math.max(0, points.length - 3)));
    const fit = leastSquares(measured.map((p) => [(p.t - measured[0].t) / 3_600_000, p.v]));
    const windowHours = (measured[measured.length - 1].t - measured[0].t) / 3_600_000;
    const mean = measured.reduce((sum, p) => sum + p.v, 0) / measured.length;
    const change = fit.slope * windowHours;
    const band = Math.max(0.1 * Math.abs(mean), 1);
    const flat = Math.abs(change) <= band;
    allFlat &&= flat;
    const p99 = [...measured.map((p) => p.v)].sort((a, b) => a - b)[Math.floor(0.99 * (measured.length - 1))];
    rows.push(`| ${name} | ${measured.length} | ${mean.toFixed(1)} | ${p99.toFixed(1)} | ${fit.slope.toFixed(2)} /h | ${change.toFixed(2)} (band ±${band.toFixed(1)}) | ${flat ? "flat" : "GROWS"} |`);
  }
  const table = ["| series | samples after warm-up | mean | p99 | slope | fitted change over the window | verdict |", "| --- | --- | --- | --- | --- | --- | --- |", ...rows].join("\n");
  return { table, allFlat };
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

if (require.main === module) {
  const at = process.argv.indexOf("--minutes");
  const minutes = Number(at >= 0 ? process.argv[at + 1] : 30);
  runSoak(minutes).then(
    ({ allFlat }) => process.exit(allFlat ? 0 : 1),
    (error) => {
      console.error(error);
      process.exit(2);
    },
  );
}
