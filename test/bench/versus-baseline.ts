/**
 * `npm run bench`: dnsproof against a framework-free baseline doing the same SQL and writing
 * the same JSON (./baseline-server.ts), both started here as processes of their own on one
 * scratch MariaDB database, runs interleaved, medians of BENCH_ROUNDS rounds of
 * BENCH_SECONDS each (wrk, BENCH_CONNECTIONS connections). Figures, not assertions: CI
 * times nothing. Loopback only; every load is bounded in time.
 *
 * Prints, each with dnsproof ÷ baseline: req/s, CPU ms/req and p99 for the frontends' read
 * at N = 10/50/100; p99 at a fixed rate both sustain; SQL statements per request, and what
 * they would be without batching; claimDomain with one account and spread over accounts;
 * start to /healthz on a migrated database; RSS idle, after load and after 10 s and 30 s of rest.
 *
 * BENCH_BEFORE=<another checkout> (built there with its own `npm run build`) adds that checkout's
 * server to the reads, interleaved with the two others, so a change is measured against the code
 * before it in the same run, under the same load from whatever else shares the machine.
 */
import "reflect-metadata";
import http from "node:http";
import os from "node:os";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/shared/config";
import { mintToken } from "../../src/auth/dev-credentials";
import { createScratchDatabase } from "../support/databases";
import { CLAIM_DOMAIN, DOMAINS_WITH_AUDIT_LOG, REGENERATE_TOKEN } from "./operations";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { JWT_SECRET, LoadFigures, Server, build, luaString, median, post, rssMb, sleep, start, stop, wrk as wrkFor } from "./processes";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SIZES = (process.env.BENCH_SIZES ?? "10,50,100").split(",").map(Number);
const DOMAINS = 100;
const ENTRIES_PER_DOMAIN = 10;
const SPREAD_ACCOUNTS = 64;
const STARTS = 5;
const BEFORE = process.env.BENCH_BEFORE ? path.resolve(process.env.BENCH_BEFORE) : null;

/** wrk with this run's connections, for SECONDS unless told. */
const wrk = (server: Server, lua: string, seconds = SECONDS) => wrkFor(server, lua, seconds, CONNECTIONS);

type Target = "dnsproof" | "baseline";
const TARGETS: Target[] = ["dnsproof", "baseline"];
/** The reads' targets: the earlier checkout's server too, with BENCH_BEFORE. */
type ReadTarget = Target | "before";
const READ_TARGETS: ReadTarget[] = BEFORE ? ["dnsproof", "baseline", "before"] : TARGETS;



function readScript(token: string, first: number): string {
  return `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = ${luaString(`Bearer ${token}`)}
wrk.body = ${luaString(JSON.stringify({ query: DOMAINS_WITH_AUDIT_LOG, variables: { first } }))}
`;
}

/** Fresh names every request (per wrk thread), cycling over `tokens`: one token serializes on one account's row lock. */
function claimScript(tokens: string[], prefix: string): string {
  const query = JSON.stringify(CLAIM_DOMAIN);
  return `local tokens = { ${tokens.map((t) => luaString(`Bearer ${t}`)).join(", ")} }
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local counter = 0
function request()
  counter = counter + 1
  local body = '{"query":' .. ${luaString(query)} .. ',"variables":{"name":"${prefix}' .. tid .. '-' .. counter .. '.example.com"}}'
  return wrk.format("POST", "/graphql", { ["Content-Type"] = "application/json", ["Authorization"] = tokens[(counter % #tokens) + 1] }, body)
end
`;
}

/** Open loop at `rate` req/s for `seconds`: latency counts from when a request was due, so a stall is not hidden. */
async function fixedRate(server: Server, body: string, token: string, rate: number, seconds = SECONDS): Promise<{ p50Ms: number; p99Ms: number; sent: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const url = new URL(`${server.url}/graphql`);
  const started = performance.now();
  const one = (due: number) =>
    new Promise<void>((resolve) => {
      const req = http.request(
        { agent, host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          res.on("end", () => {
            latencies.push(performance.now() - due);
            resolve();
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy());
      req.on("error", () => {
        latencies.push(Infinity);
        resolve();
      });
      req.end(body);
    });
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(one(due));
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { p50Ms: at(0.5), p99Ms: at(0.99), sent: total };
}


/** SQL statements per read, counted in-process by dnsproof's own statement observer; batching off for the control. */
async function statementsPerRead(databaseUrl: string, token: string, batching: boolean): Promise<Record<number, number>> {
  let statements = 0;
  const config = loadConfig({ NODE_ENV: "production", DATABASE_URL: databaseUrl, JWT_SECRET, SCHEDULER_ENABLED: "false", DNS_SERVERS: "127.0.0.1:9", LOG_LEVEL: "silent" });
  const app = await createApp(config, { logger: pino({ level: "silent" }), onQuery: () => statements++, batching });
  try {
    const url = await app.listen(0, "127.0.0.1");
    const counts: Record<number, number> = {};
    for (const first of SIZES) {
      const before = statements;
      await post(url, DOMAINS_WITH_AUDIT_LOG, { first }, token);
      counts[first] = statements - before;
    }
    return counts;
  } finally {
    await app.close();
  }
}

async function main() {
  console.log(`dnsproof vs a framework-free baseline: ${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections (wrk), interleaved; loopback only`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
  const entries = build();
  if (BEFORE) {
    execFileSync("npm", ["run", "-s", "build"], { cwd: BEFORE, stdio: "inherit" });
    console.log(`and the checkout at ${BEFORE} (its reads only)\n`);
  }
  const database = await createScratchDatabase("mariadb");
  const servers: Partial<Record<ReadTarget, Server>> = {};
  try {
    // The first start migrates and leaves the code cache (as any first start after a build does); the ones timed after it find both.
    await stop(await start("dnsproof", entries.dnsproof, database.url));
    const startup: Record<Target, number[]> = { dnsproof: [], baseline: [] };
    const startupCpu: Record<Target, number[]> = { dnsproof: [], baseline: [] };
    for (let i = 0; i < STARTS; i++) {
      for (const target of i % 2 ? [...TARGETS].reverse() : TARGETS) {
        const server = await start(target, entries[target], database.url);
        startup[target].push(server.startMs);
        startupCpu[target].push(server.startCpuMs);
        await stop(server);
      }
    }
    for (const target of TARGETS) servers[target] = await start(target, entries[target], database.url);
    if (BEFORE) servers.before = await start("before", [path.join(BEFORE, "src/cli/start.js")], database.url);
    const dnsproof = servers.dnsproof!;
    const baseline = servers.baseline!;

    const reader = await mintToken(JWT_SECRET, { sub: "bench-reader", email: "reader@example.com" });
    console.log(`seeding through the API: ${DOMAINS} domains, ${ENTRIES_PER_DOMAIN} audit entries each`);
    const ids: string[] = [];
    for (let i = 0; i < DOMAINS; i++) {
      ids.push(JSON.parse(await post(dnsproof.url, CLAIM_DOMAIN, { name: `r${i}.reads.example.com` }, reader)).data.claimDomain.domain.id);
    }
    for (let round = 1; round < ENTRIES_PER_DOMAIN; round++) {
      await Promise.all(ids.map((id) => post(dnsproof.url, REGENERATE_TOKEN, { id }, reader)));
    }
    for (const first of SIZES) {
      const [ours, theirs] = [await post(dnsproof.url, DOMAINS_WITH_AUDIT_LOG, { first }, reader), await post(baseline.url, DOMAINS_WITH_AUDIT_LOG, { first }, reader)];
      if (ours !== theirs) throw new Error(`the baseline's answer at N=${first} differs from dnsproof's: the comparison would not be fair`);
      if (servers.before && (await post(servers.before.url, DOMAINS_WITH_AUDIT_LOG, { first }, reader)) !== ours) {
        throw new Error(`the earlier checkout's answer at N=${first} differs from dnsproof's`);
      }
    }
    console.log(`both answer the same ${Buffer.byteLength(await post(baseline.url, DOMAINS_WITH_AUDIT_LOG, { first: 50 }, reader))} bytes at N=50\n`);

    // Warm both (JIT, pools, compiled queries) before anything is measured.
    for (const target of READ_TARGETS) for (const first of SIZES) wrk(servers[target]!, readScript(reader, first), 2);
    await sleep(2000);
    const rssIdle = { dnsproof: rssMb(dnsproof.child.pid!), baseline: rssMb(baseline.child.pid!) };

    const reads: Record<number, Record<ReadTarget, LoadFigures[]>> = {};
    for (const first of SIZES) reads[first] = { dnsproof: [], baseline: [], before: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const first of SIZES) {
        for (const target of round % 2 ? [...READ_TARGETS].reverse() : READ_TARGETS) reads[first][target].push(wrk(servers[target]!, readScript(reader, first)));
      }
      process.stdout.write(`reads: round ${round + 1} of ${ROUNDS} done\n`);
    }
    const medianOf = (runs: LoadFigures[], key: keyof LoadFigures) => median(runs.map((r) => r[key]));

    const sustained = Math.min(medianOf(reads[50]?.dnsproof ?? reads[SIZES[0]].dnsproof, "perSecond"), medianOf(reads[50]?.baseline ?? reads[SIZES[0]].baseline, "perSecond"));
    const rate = Math.max(1, Math.floor(sustained * 0.6));
    const fixed: Record<ReadTarget, { p50Ms: number; p99Ms: number }[]> = { dnsproof: [], baseline: [], before: [] };
    const fixedBody = JSON.stringify({ query: DOMAINS_WITH_AUDIT_LOG, variables: { first: 50 } });
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of round % 2 ? [...READ_TARGETS].reverse() : READ_TARGETS) fixed[target].push(await fixedRate(servers[target]!, fixedBody, reader, rate));
    }

    const claims: Record<string, Record<Target, LoadFigures[]>> = { "one account": { dnsproof: [], baseline: [] }, [`spread over ${SPREAD_ACCOUNTS} accounts`]: { dnsproof: [], baseline: [] } };
    const tokens: Record<Target, { one: string[]; spread: string[] }> = { dnsproof: { one: [], spread: [] }, baseline: { one: [], spread: [] } };
    for (const target of TARGETS) {
      tokens[target].one = [await mintToken(JWT_SECRET, { sub: `claims-one-${target}`, email: "one@example.com" })];
      for (let i = 0; i < SPREAD_ACCOUNTS; i++) tokens[target].spread.push(await mintToken(JWT_SECRET, { sub: `claims-${target}-${i}`, email: `c${i}@example.com` }));
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [mode, runs] of Object.entries(claims)) {
        for (const target of round % 2 ? [...TARGETS].reverse() : TARGETS) {
          const list = mode === "one account" ? tokens[target].one : tokens[target].spread;
          runs[target].push(wrk(servers[target]!, claimScript(list, `${target[0]}${mode[0]}${round}-`)));
        }
      }
      process.stdout.write(`claims: round ${round + 1} of ${ROUNDS} done\n`);
    }
    const rssAfterLoad = { dnsproof: rssMb(dnsproof.child.pid!), baseline: rssMb(baseline.child.pid!) };
    await sleep(10_000);
    const rssRested = { dnsproof: rssMb(dnsproof.child.pid!), baseline: rssMb(baseline.child.pid!) };
    // V8 gives pages back once its memory reducer sees the process idle, which takes some 20 s after a burst.
    await sleep(20_000);
    const rssLongRested = { dnsproof: rssMb(dnsproof.child.pid!), baseline: rssMb(baseline.child.pid!) };

    const statementsBefore = Number(JSON.parse(await (await fetch(`${baseline.url}/stats`)).text()).statements);
    const baselineStatements: Record<number, number> = {};
    let last = statementsBefore;
    for (const first of SIZES) {
      await post(baseline.url, DOMAINS_WITH_AUDIT_LOG, { first }, reader);
      const now = Number(JSON.parse(await (await fetch(`${baseline.url}/stats`)).text()).statements);
      baselineStatements[first] = now - last;
      last = now;
    }
    const batched = await statementsPerRead(database.url, reader, true);
    const unbatched = await statementsPerRead(database.url, reader, false);

    const rows: Record<string, { dnsproof: string; baseline: string; "÷ baseline": string }> = {};
    const row = (name: string, ours: number, theirs: number, digits = 1) => {
      rows[name] = { dnsproof: ours.toFixed(digits), baseline: theirs.toFixed(digits), "÷ baseline": (ours / theirs).toFixed(2) };
    };
    for (const first of SIZES) {
      const r = reads[first];
      row(`N=${first} req/s`, medianOf(r.dnsproof, "perSecond"), medianOf(r.baseline, "perSecond"), 0);
      row(`N=${first} CPU ms/req`, medianOf(r.dnsproof, "cpuMsPerRequest"), medianOf(r.baseline, "cpuMsPerRequest"), 2);
      row(`N=${first} p99 ms (closed loop)`, medianOf(r.dnsproof, "p99Ms"), medianOf(r.baseline, "p99Ms"));
    }
    row(`N=50 p99 ms at a fixed ${rate} req/s`, median(fixed.dnsproof.map((f) => f.p99Ms)), median(fixed.baseline.map((f) => f.p99Ms)));
    row(`N=50 p50 ms at a fixed ${rate} req/s`, median(fixed.dnsproof.map((f) => f.p50Ms)), median(fixed.baseline.map((f) => f.p50Ms)));
    for (const first of SIZES) row(`N=${first} SQL statements/request`, batched[first], baselineStatements[first], 0);
    for (const first of SIZES) rows[`N=${first} SQL statements, batching off (control)`] = { dnsproof: String(unbatched[first]), baseline: "-", "÷ baseline": "-" };
    for (const [mode, runs] of Object.entries(claims)) {
      row(`claimDomain ${mode}: claims/s`, medianOf(runs.dnsproof, "perSecond"), medianOf(runs.baseline, "perSecond"), 0);
      row(`claimDomain ${mode}: CPU ms/claim`, medianOf(runs.dnsproof, "cpuMsPerRequest"), medianOf(runs.baseline, "cpuMsPerRequest"), 2);
    }
    row(`start to /healthz ms (median of ${STARTS}, migrated db)`, median(startup.dnsproof), median(startup.baseline), 0);
    row(`start to /healthz, CPU ms of the process`, median(startupCpu.dnsproof), median(startupCpu.baseline), 0);
    row("RSS MB idle (warm)", rssIdle.dnsproof, rssIdle.baseline, 0);
    row("RSS MB after load", rssAfterLoad.dnsproof, rssAfterLoad.baseline, 0);
    row("RSS MB 10 s after load", rssRested.dnsproof, rssRested.baseline, 0);
    row("RSS MB 30 s after load", rssLongRested.dnsproof, rssLongRested.baseline, 0);
    console.log("");
    console.table(rows);
    if (BEFORE) {
      const beforeRows: Record<string, { dnsproof: string; before: string; "÷ before": string }> = {};
      const beforeRow = (name: string, ours: number, theirs: number, digits = 1) => {
        beforeRows[name] = { dnsproof: ours.toFixed(digits), before: theirs.toFixed(digits), "÷ before": (ours / theirs).toFixed(2) };
      };
      for (const first of SIZES) {
        const r = reads[first];
        beforeRow(`N=${first} req/s`, medianOf(r.dnsproof, "perSecond"), medianOf(r.before, "perSecond"), 0);
        beforeRow(`N=${first} CPU ms/req`, medianOf(r.dnsproof, "cpuMsPerRequest"), medianOf(r.before, "cpuMsPerRequest"), 2);
        beforeRow(`N=${first} p99 ms (closed loop)`, medianOf(r.dnsproof, "p99Ms"), medianOf(r.before, "p99Ms"));
        beforeRows[`N=${first} req/s ÷ baseline`] = {
          dnsproof: (medianOf(r.dnsproof, "perSecond") / medianOf(r.baseline, "perSecond")).toFixed(2),
          before: (medianOf(r.before, "perSecond") / medianOf(r.baseline, "perSecond")).toFixed(2),
          "÷ before": "-",
        };
        beforeRows[`N=${first} baseline CPU ms ÷ this`] = {
          dnsproof: (medianOf(r.baseline, "cpuMsPerRequest") / medianOf(r.dnsproof, "cpuMsPerRequest")).toFixed(2),
          before: (medianOf(r.baseline, "cpuMsPerRequest") / medianOf(r.before, "cpuMsPerRequest")).toFixed(2),
          "÷ before": "-",
        };
      }
      beforeRow(`N=50 p99 ms at a fixed ${rate} req/s`, median(fixed.dnsproof.map((f) => f.p99Ms)), median(fixed.before.map((f) => f.p99Ms)));
      console.log(`against the checkout at ${BEFORE}, same run:`);
      console.table(beforeRows);
    }
  } finally {
    for (const server of Object.values(servers)) if (server) await stop(server);
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
