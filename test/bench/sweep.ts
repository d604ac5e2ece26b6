/**
 * How close the scheduler's sweep comes to the DNS limit. `npm run bench:sweep` (needs bind9 and
 * the local MariaDB). Makes SWEEP_N due claims (VERIFIED ones whose record a loopback BIND 9 zone
 * serves, and a share of PENDING ones without a record), first sends the same TXT and CNAME
 * queries from a bare loop at the same concurrency, then starts dnsproof as a process of its own
 * with its scheduler on that BIND and measures checks/s until every claim was checked, with a light
 * read load on the API during the sweep and while idle. Figures and ratios, not assertions.
 *
 *   SWEEP_N=2000 SWEEP_SERVER=ts-node npm run bench:sweep   # the short variant, without a build
 *   SWEEP_CPU_PROF=/tmp/prof npm run bench:sweep   # writes the server's .cpuprofile there
 *   SWEEP_KEEP_LOG=1 npm run bench:sweep           # keeps the server's log and says where
 *   SWEEP_SERVER_ROOT=/tmp/main npm run bench:sweep  # runs the server of another checkout (with node_modules), e.g. main's
 *   SWEEP_VERIFIER_ONLY=1 npm run bench:sweep      # the bare loop and the verifier alone, no server
 *   SWEEP_NODE_ARGS="--trace-gc" SWEEP_KEEP_LOG=1 npm run bench:sweep  # V8 flags for the server only
 */
import "reflect-metadata";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import dns from "node:dns";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import mysql from "mysql2/promise";
import { startBind9, type Bind9Server } from "../support/bind9";
import { createScratchDatabase, type ScratchDatabase } from "../support/databases";
import { TEST_JWT_SECRET } from "../support/test-app";
import { openDataSource } from "../../src/db/data-source";
import { runMigrations } from "../../src/db/migrate";
import { entities } from "../../src/app/entities";
import { configuredVerifier } from "../../src/app/core";
import { createMetrics } from "../../src/app/metrics";
import { loadConfig } from "../../src/shared/config";
import { systemClock } from "../../src/shared/clock";
import { udpSockets } from "../../src/verification/client/udp-sockets";
import { reversedName } from "../../src/shared/domain-scope";
import { mintToken } from "../../src/auth/dev-credentials";
import { expectedTxtValue, verificationHost } from "../../src/verification/records";
import { cpuMs } from "./processes";

const N = Number(process.env.SWEEP_N ?? 100_000);
/** Every k-th claim is PENDING without a record; the rest are VERIFIED with theirs published. */
const PENDING_EVERY = Number(process.env.SWEEP_PENDING_EVERY ?? 10);
const CONCURRENCY = Number(process.env.DNS_CONCURRENCY ?? 10);
const ACCOUNTS = Math.max(1, Math.ceil(N / 100));
const IDLE_MS = Number(process.env.SWEEP_IDLE_SECONDS ?? 10) * 1000;
/** The whole sweep is bounded: a run slower than this is reported as such, not waited for. */
const SWEEP_LIMIT_MS = Number(process.env.SWEEP_TIMEOUT_SECONDS ?? Math.max(120, Math.ceil(N / 100))) * 1000;
/** "bundle" builds and runs what `npm start` runs (RSS as in production); "ts-node" runs the sources as they are, quicker to start. */
const SERVER = process.env.SWEEP_SERVER ?? "bundle";
const ZONE = "sweep.test";
/** Whose server runs: this checkout's by default, or another's (a copy of main, for a before/after in one sitting). */
const ROOT = path.resolve(process.env.SWEEP_SERVER_ROOT ?? path.resolve(__dirname, "../.."));

const nameOf = (i: number) => `d${i}.${ZONE}`;
const tokenOf = (i: number) => createHash("sha256").update(nameOf(i)).digest("hex");
const isPending = (i: number) => PENDING_EVERY > 0 && i % PENDING_EVERY === 0;

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`sweep benchmark: N=${N} (one in ${PENDING_EVERY} PENDING without a record), DNS_CONCURRENCY=${CONCURRENCY}, server from ${SERVER} in ${ROOT}, loopback only\n`);
  if (SERVER === "bundle") execFileSync("npm", ["run", "-s", "build"], { cwd: ROOT, stdio: "inherit" });
  const records: string[] = [];
  for (let i = 0; i < N; i++) if (!isPending(i)) records.push(`${verificationHost(`d${i}`)} TXT "${expectedTxtValue(tokenOf(i))}"`);
  const bind = await startBind9({ zones: [{ name: ZONE, records }] });
  const database = await createScratchDatabase("mariadb");
  let server: AppProcess | null = null;
  try {
    const bare = await bareLoop(bind.server);
    console.log(`bare loop: ${N} names (TXT + CNAME each) in ${bare.seconds.toFixed(1)} s = ${bare.perSecond} names/s, ${bare.cpuMsPerName.toFixed(3)} CPU ms per name`);
    const alone = await verifierLoop(bind.server);
    console.log(
      `verifier:  ${N} claims verified in this process, nothing recorded, in ${alone.seconds.toFixed(1)} s = ${alone.perSecond} checks/s, ${alone.cpuMsPerName.toFixed(3)} CPU ms per check (${(alone.cpuMsPerName / bare.cpuMsPerName).toFixed(1)}x the bare loop's), ${alone.lookupsPerCheck.toFixed(2)} DNS queries per check`,
    );
    if (process.env.SWEEP_VERIFIER_ONLY) return;
    await prepareDatabase(database.url);
    server = await startServer(database.url, bind);
    const figures = await sweep(server, database.url);
    report(bare, figures);
    await sanityCheck(database.url);
  } finally {
    if (server) await server.stop();
    await bind.stop();
    await database.drop();
    console.log(`\n(whole run ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
}

/** The same queries the verifier sends per claim, nothing else: CONCURRENCY names in flight, TXT and CNAME of each at once. */
async function bareLoop(server: string): Promise<{ seconds: number; perSecond: number; cpuMsPerName: number }> {
  let next = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const worker = async () => {
    const resolver = new dns.promises.Resolver({ timeout: 3000, tries: 1 });
    resolver.setServers([server]);
    while (next < N) {
      const host = verificationHost(nameOf(next++));
      await Promise.all([resolver.resolveTxt(host).catch(() => null), resolver.resolveCname(host).catch(() => null)]);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, perSecond: Math.round(N / seconds), cpuMsPerName: (cpu.user + cpu.system) / 1000 / N };
}

/**
 * dnsproof's verifier as the server composes it (configuredVerifier), on the same names at the
 * same concurrency, with nothing recorded: what the DNS side of a check costs, apart from the
 * database and the scheduler.
 */
async function verifierLoop(server: string): Promise<{ seconds: number; perSecond: number; cpuMsPerName: number; lookupsPerCheck: number }> {
  const config = loadConfig({ ...process.env, NODE_ENV: "test", DATABASE_URL: "sqlite::memory:", JWT_SECRET: TEST_JWT_SECRET, DNS_SERVERS: server, DNS_CONCURRENCY: String(CONCURRENCY) });
  const metrics = createMetrics();
  const verifier = configuredVerifier(config, systemClock, metrics);
  // Every UDP query the verifier sends, hint probes and persistent records included.
  let sent = 0;
  const exchange = udpSockets.exchange.bind(udpSockets);
  udpSockets.exchange = (...args) => (sent++, exchange(...args));
  let next = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const worker = async () => {
    while (next < N) {
      const i = next++;
      await verifier.verify({ name: nameOf(i), token: tokenOf(i), previousTokens: [], accountId: `sweep-${i % ACCOUNTS}`, recheck: !isPending(i) });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  udpSockets.exchange = exchange;
  return { seconds, perSecond: Math.round(N / seconds), cpuMsPerName: (cpu.user + cpu.system) / 1000 / N, lookupsPerCheck: sent / N };
}

/** Migrates, then writes the accounts and claims in a few INSERT ... SELECT statements over MariaDB's SEQUENCE engine; none due yet. */
async function prepareDatabase(url: string): Promise<void> {
  const dataSource = await openDataSource(url, { entities });
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
  const conn = await mysql.createConnection({ uri: url, timezone: "Z" });
  try {
    const t0 = performance.now();
    await conn.query(`INSERT INTO accounts (id, createdAt, version) SELECT CONCAT('sweep-', seq), NOW(3), 0 FROM seq_0_to_${ACCOUNTS - 1}`);
    const check = JSON.stringify({ outcome: "VERIFIED", method: "TXT", checkedAt: new Date().toISOString(), message: "Verified.", foundValues: [], hints: [], servers: [{ server: "127.0.0.1:53", answer: "FOUND", values: [], durationMs: 2 }] });
    const pending = PENDING_EVERY > 0 ? `seq MOD ${PENDING_EVERY} = 0` : "FALSE";
    await conn.query(
      `INSERT INTO domains (id, accountId, name, nameReversed, status, token, previousTokens, tokenIssuedAt, tokenExpiresAt, verifiedName, verifiedAt,
         lastCheckedAt, lastCheck, failingSince, nextCheckAt, leaseOwner, leaseExpiresAt, tokenExpiryWarnedAt, createdAt, updatedAt)
       SELECT CONCAT('00000000-0000-4000-8000-', LPAD(HEX(seq), 12, '0')), CONCAT('sweep-', seq MOD ${ACCOUNTS}), n, r, IF(${pending}, 'PENDING', 'VERIFIED'),
         SHA2(n, 256), '[]', IF(${pending}, NOW(3) - INTERVAL 1 HOUR, NOW(3) - INTERVAL 10 DAY), IF(${pending}, NOW(3) + INTERVAL 719 HOUR, NOW(3) + INTERVAL 20 DAY),
         IF(${pending}, NULL, n), IF(${pending}, NULL, NOW(3) - INTERVAL 10 DAY), IF(${pending}, NULL, NOW(3) - INTERVAL 1 DAY), IF(${pending}, NULL, ?),
         NULL, NULL, NULL, NULL, NULL, NOW(3) - INTERVAL 10 DAY, NOW(3) - INTERVAL 1 DAY
       FROM (SELECT seq, CONCAT('d', seq, '.${ZONE}') AS n, CONCAT('${reversedName(ZONE)}.d', seq) AS r FROM seq_0_to_${N - 1}) s`,
      [check],
    );
    console.log(`seeded ${N} claims over ${ACCOUNTS} accounts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await conn.end();
  }
}

interface AppProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** dnsproof as in production (src/main.ts), its scheduler on, asking only the bench's BIND; its log goes to a file. */
async function startServer(databaseUrl: string, bind: Bind9Server): Promise<AppProcess> {
  const logDir = mkdtempSync(path.join(tmpdir(), "dnsproof-sweep-"));
  const logFile = path.join(logDir, "server.log");
  const fd = openSync(logFile, "w");
  const profile = process.env.SWEEP_CPU_PROF;
  const entry = SERVER === "bundle" ? ["src/cli/start.js"] : ["-r", "ts-node/register/transpile-only", "src/main.ts"];
  const child: ChildProcess = spawn(
    process.execPath,
    [...(profile ? ["--cpu-prof", "--cpu-prof-dir", profile] : []), ...(process.env.SWEEP_NODE_ARGS?.split(" ").filter(Boolean) ?? []), ...entry],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "test",
        HOST: "127.0.0.1",
        PORT: "0",
        LOG_LEVEL: process.env.SWEEP_LOG_LEVEL ?? "info",
        DATABASE_URL: databaseUrl,
        JWT_SECRET: TEST_JWT_SECRET,
        DNS_SERVERS: bind.server,
        DNS_CONCURRENCY: String(CONCURRENCY),
        SCHEDULER_ENABLED: "true",
        // Idle passes find nothing; a short pause lets the sweep start as soon as the claims fall due.
        SCHEDULER_INTERVAL_SECONDS: "0.5",
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: "1000000",
        RATE_LIMIT_MUTATIONS_PER_MINUTE: "1000000",
      },
      stdio: ["ignore", fd, fd],
    },
  );
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(killer);
    if (process.env.SWEEP_KEEP_LOG) console.log(`server log kept: ${logFile}`);
    else rmSync(logDir, { recursive: true, force: true });
  };
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const line = readFileSync(logFile, "utf8")
      .split("\n")
      .find((l) => l.includes('"dnsproof is listening"'));
    if (line) return { url: JSON.parse(line).url.replace(/\/graphql$/, ""), pid: child.pid!, stop };
    if (child.exitCode !== null) break;
    await sleep(200);
  }
  const output = readFileSync(logFile, "utf8");
  await stop();
  throw new Error(`dnsproof did not start:\n${output.slice(-4000)}`);
}

interface SweepFigures {
  checked: number;
  seconds: number;
  perSecond: number;
  finished: boolean;
  rssIdleMb: number;
  rssMaxMb: number;
  /** The server process's CPU (user + system, from /proc) over the sweep, per claim checked: what a shared machine's load disturbs least. */
  cpuMsPerCheck: number;
  idle: Latencies;
  during: Latencies;
}

/** Idle read latencies first; then makes every claim due at once and waits until each was checked since. */
async function sweep(server: AppProcess, databaseUrl: string): Promise<SweepFigures> {
  const token = await mintToken(TEST_JWT_SECRET, { sub: "sweep-0" });
  // Warmed up first, so the idle figure is not the first requests' compilation.
  const warmStart = performance.now();
  await readLoad(server.url, token, () => performance.now() - warmStart < 2000);
  const idleStart = performance.now();
  const idle = await readLoad(server.url, token, () => performance.now() - idleStart < IDLE_MS);
  const rssIdleMb = rssMb(server.pid, "VmRSS");
  const conn = await mysql.createConnection({ uri: databaseUrl, timezone: "Z" });
  try {
    // The server writes lastCheckedAt from its own clock, in UTC as this connection does.
    const at = new Date();
    const t0 = performance.now();
    const cpu0 = cpuMs(server.pid);
    await conn.query(`UPDATE domains SET nextCheckAt = ?`, [at]);
    let checked = 0;
    let rssMaxMb = rssIdleMb;
    let lastPrint = t0;
    let done = false;
    const during = readLoad(server.url, token, () => !done);
    while (performance.now() - t0 < SWEEP_LIMIT_MS) {
      await sleep(250);
      const [[row]] = (await conn.query(`SELECT COUNT(*) AS n FROM domains WHERE lastCheckedAt >= ?`, [at])) as any;
      checked = Number(row.n);
      rssMaxMb = Math.max(rssMaxMb, rssMb(server.pid, "VmRSS"));
      if (performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now();
        console.log(`  ${checked} of ${N} checked after ${((lastPrint - t0) / 1000).toFixed(0)} s, RSS ${rssMaxMb} MB`);
      }
      if (checked >= N) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpuMsPerCheck = (cpuMs(server.pid) - cpu0) / Math.max(1, checked);
    done = true;
    rssMaxMb = Math.max(rssMaxMb, rssMb(server.pid, "VmHWM"));
    return { checked, seconds, perSecond: Math.round(checked / seconds), finished: checked >= N, rssIdleMb, rssMaxMb, cpuMsPerCheck, idle: await idle, during: await during };
  } finally {
    await conn.end();
  }
}

interface Latencies {
  requests: number;
  p50: number;
  p99: number;
  errors: number;
}

/** One reader, a request every ~20 ms: the domains page of one account, as a dashboard would ask it. */
async function readLoad(url: string, token: string, going: () => boolean): Promise<Latencies> {
  await sleep(0);
  const query = JSON.stringify({ query: `{ domains(first: 20) { nodes { id name status verified lastCheckedAt } } }` });
  const latencies: number[] = [];
  let errors = 0;
  while (going()) {
    const t0 = performance.now();
    try {
      const response = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: query });
      const body = (await response.json()) as { errors?: unknown; data?: { domains: { nodes: unknown[] } } };
      if (body.errors || !body.data?.domains.nodes.length) errors++;
    } catch {
      errors++;
    }
    latencies.push(performance.now() - t0);
    await sleep(20);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => (latencies.length ? Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1)) : NaN);
  return { requests: latencies.length, p50: at(0.5), p99: at(0.99), errors };
}

function report(bare: { perSecond: number; cpuMsPerName: number }, s: SweepFigures): void {
  console.log(
    `sweep:     ${s.checked} of ${N} checked in ${s.seconds.toFixed(1)} s = ${s.perSecond} checks/s${s.finished ? "" : ` (STOPPED at the ${SWEEP_LIMIT_MS / 1000} s bound)`}`,
  );
  console.log(`ratio:     ${(s.perSecond / bare.perSecond).toFixed(2)}x the bare loop (goal >= 0.5x)`);
  console.log(`CPU:       ${s.cpuMsPerCheck.toFixed(3)} ms of the server's per check, ${(s.cpuMsPerCheck / bare.cpuMsPerName).toFixed(1)}x the bare loop's per name (its readers' requests included)`);
  console.log(`RSS:       ${s.rssIdleMb} MB idle, ${s.rssMaxMb} MB max during the sweep (goal < 300 MB)`);
  console.log(`API p99:   ${s.idle.p99} ms idle (${s.idle.requests} requests, p50 ${s.idle.p50} ms), ${s.during.p99} ms during the sweep (${s.during.requests} requests, p50 ${s.during.p50} ms)`);
  console.log(`           = ${(s.during.p99 / s.idle.p99).toFixed(2)}x idle (goal < 2x); errors ${s.idle.errors} idle, ${s.during.errors} during`);
}

/** The sweep did what a sweep does: every verified claim still verified, every pending one told nothing was found, an entry for each. */
async function sanityCheck(url: string): Promise<void> {
  const conn = await mysql.createConnection({ uri: url, timezone: "Z" });
  try {
    const [rows] = (await conn.query(
      `SELECT status, JSON_VALUE(lastCheck, '$.outcome') AS outcome, failingSince IS NOT NULL AS failing, COUNT(*) AS n FROM domains GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    )) as any;
    const [[audit]] = (await conn.query(`SELECT COUNT(*) AS n FROM audit_entries`)) as any;
    console.log(`\nclaims after: ${rows.map((r: any) => `${r.status}/${r.outcome}${r.failing ? "/failing" : ""} ${r.n}`).join(", ")}; audit entries ${audit.n}`);
  } finally {
    await conn.end();
  }
}

function rssMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
