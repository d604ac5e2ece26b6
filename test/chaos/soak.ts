/**
 * `npm run soak -- --minutes N [--keep K]`: the chaos suite's mixed load, without faults, for N
 * minutes, on two instances with long-lived subscriptions and webhook traffic. The data size is
 * held constant: each account keeps at most K claims (default 40), removing its oldest through
 * removeDomain before each new claim (names stay fresh), so reads count, and the scheduler
 * re-checks, the same number of claims all run long; only the append-only audit log and
 * webhook deliveries grow. Every 10 s: each instance's RSS, heap after a forced full GC, event-loop
 * delay p99 and open file descriptors (test/chaos/sampler.js, preloaded into the instances), the
 * MariaDB connections (both pools) and the Redis clients.
 *
 * Flat: the first fifth of the run (at least a minute) is a warm-up, left out and printed (pools
 * fill up to their size, code is compiled, the claims reach K). Over the rest, two measures must
 * stay within a band of 10 % of the series' mean, or one unit (a connection, a descriptor, a
 * millisecond) when that is more: the least-squares line's change over the window, and the
 * difference between the medians of the window's last and first thirds. A leak grows without
 * bound, so it carries both past the band; noise on a shared machine moves one more than the other.
 * Exits 1 when a series grows or drifts (one measure past the band): not shown flat.
 */
import "reflect-metadata";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { slopes, type Sample } from "./flatness";
import { startLoad } from "./load";
import { startWorld, type World } from "./world";

const SAMPLE_MS = Number(process.env.SOAK_SAMPLE_MS ?? 10_000);


export async function runSoak(minutes: number, keepClaims = 40, log: (line: string) => void = console.log): Promise<{ table: string; allFlat: boolean }> {
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
    const load = await startLoad(world, { accounts: 6, thinkMs: 100, keepClaims });
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
    // The instances sample from their start; the run is judged from the load's.
    const samples = [...instanceSamples(samplesFile, world).filter((s) => s.t >= started), ...shared];
    const { table, allFlat, warmUpSeconds } = slopes(samples, started, SAMPLE_MS);
    const removed = load.records.filter((r) => r.op === "remove" && !r.code).length;
    log(`\n${table}\n\nwarm-up left out: the samples taken in the first ${warmUpSeconds} s of the load`);
    log(`${minutes} min, at most ${keepClaims} claims per account, ${load.records.length} requests (${errors} with errors), ${load.acknowledged.length} claims, ${removed} removals, ${world.receiver.received.length} webhook POSTs, ${load.streamed.size} entries streamed`);
    log(`claims held at the end: ${world.mariadb.sql("SELECT COUNT(*) FROM chaos.domains").trim()}, audit entries: ${world.mariadb.sql("SELECT COUNT(*) FROM chaos.audit_entries").trim()}`);
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

if (require.main === module) {
  const at = process.argv.indexOf("--minutes");
  const minutes = Number(at >= 0 ? process.argv[at + 1] : 30);
  const keepAt = process.argv.indexOf("--keep");
  const keep = Number(keepAt >= 0 ? process.argv[keepAt + 1] : 40);
  runSoak(minutes, keep).then(
    ({ allFlat }) => process.exit(allFlat ? 0 : 1),
    (error) => {
      console.error(error);
      process.exit(2);
    },
  );
}
