/**
 * Cleanup at scale, and what it does to people claiming meanwhile. `npm run bench:cleanup`
 * (the local MariaDB; CLEANUP_N=20000 for a short run). Figures, not assertions.
 *
 * 1. Batching: COMPARE_N stale claims deleted one claim per transaction (what cleanup did
 *    before), then COMPARE_N more in transactions of CLEANUP_ROWS_PER_TRANSACTION; rows/s of both.
 * 2. Claim latency without cleanup: CLAIMERS clients claim over HTTP, CLAIM_RATE claims a second
 *    together (a client whose claim outlasts its turn starts the next at once), each claim in
 *    the account of a stale claim, for BASELINE_SECONDS.
 * 3. The same load while `dnsproof cleanup` (the CLI, a process of its own, as cron runs it)
 *    expires and deletes CLEANUP_N seeded claims (a tenth lapsed PENDING/FAILED claims, expired
 *    then deleted); the load stops when cleanup ends, or after MAX_SECONDS at the latest.
 *    Cleanup time and rows/s, and claim latency against step 2.
 * Everything talks to 127.0.0.1 only; the scratch database is dropped at the end.
 */
import "reflect-metadata";
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import path from "node:path";
import mysql from "mysql2/promise";
import { startTestApp, TestApp } from "../support/test-app";
import { seedStaleClaims, staleAccountOf } from "../support/stale-claims";
import { CLEANUP_ROWS_PER_TRANSACTION, Maintenance, MaintenanceContext } from "../../src/admin/maintenance";
import { ActorType } from "../../src/audit/audit.types";
import { systemClock } from "../../src/shared/clock";

const N = Number(process.env.CLEANUP_N ?? 500_000);
const COMPARE_N = Number(process.env.COMPARE_N ?? Math.min(5_000, N));
const CLAIMERS = Number(process.env.CLAIMERS ?? 4);
const CLAIM_RATE = Number(process.env.CLAIM_RATE ?? 40);
const BASELINE_SECONDS = Number(process.env.BASELINE_SECONDS ?? 15);
const MAX_SECONDS = Number(process.env.MAX_SECONDS ?? 3600);
const PROGRESS_SECONDS = Number(process.env.PROGRESS_SECONDS ?? 60);
/** Stale claims per account: accounts of a platform that has been running for a while. */
const PER_ACCOUNT = 50;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { created userErrors { code } } }`;
const ROOT = path.resolve(__dirname, "../..");
const ctx: MaintenanceContext = { actor: { type: ActorType.ADMIN, id: "bench-cleanup", email: null }, requestId: "bench-cleanup" };

/** Claim names are unique across every load of the run, so a claim is refused only for a reason worth printing. */
let claimed = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function latencies(name: string, sorted: number[], seconds: number): string {
  if (sorted.length === 0) return `${name}: no claims`;
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  return (
    `${name}: ${sorted.length} claims in ${seconds.toFixed(1)} s (${(sorted.length / seconds).toFixed(0)}/s); ` +
    `p50 ${fmt(percentile(sorted, 50))}, p99 ${fmt(percentile(sorted, 99))}, worst ${fmt(sorted[sorted.length - 1])}`
  );
}

/** Claims back to back from `clients` loops, in the accounts of `tag`'s stale claims, until `until` says stop. */
async function claimLoad(t: TestApp, tag: string, accounts: number, clients: number, until: () => boolean): Promise<{ sorted: number[]; seconds: number; failed: number }> {
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (account: string) => tokens.get(account) ?? tokens.set(account, t.token(account)).get(account)!;
  const times: number[] = [];
  let failed = 0;
  const started = performance.now();
  const turnMs = (1000 * clients) / CLAIM_RATE;
  const client = async (n: number) => {
    // Clients start spread over one turn, so claims arrive evenly.
    await sleep((turnMs * n) / clients);
    while (!until()) {
      const turn = performance.now();
      const account = staleAccountOf(tag, Math.floor(Math.random() * accounts), accounts);
      const token = await tokenOf(account);
      const begun = performance.now();
      const result = await t.gql(CLAIM, { name: `load-${++claimed}.${tag}.example.com` }, { token });
      times.push(performance.now() - begun);
      if (!result.body.data?.claimDomain?.created) {
        if (failed++ === 0) console.log(`first refused or failed claim: ${JSON.stringify(result.body.errors ?? result.body.data)}`);
      }
      await sleep(turn + turnMs - performance.now());
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, n) => client(n)));
  return { sorted: times.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000, failed };
}

function maintenanceWith(t: TestApp, rowsPerTransaction: number): Maintenance {
  const { app } = t;
  return new Maintenance(app.domainStore, app.domains, app.verification, app.leases, app.runner, systemClock, {
    batchSize: app.config.scheduler.batchSize,
    leaseMs: app.leaseMs,
    cleanupAfterMs: app.config.domains.cleanupAfterMs,
    rowsPerTransaction,
  });
}

async function compareBatching(t: TestApp): Promise<void> {
  const rates: number[] = [];
  for (const rows of [1, CLEANUP_ROWS_PER_TRANSACTION]) {
    const tag = randomBytes(4).toString("hex");
    await seedStaleClaims(t.database.url, { tag, stale: COMPARE_N, lapsedLongAgo: 0, lapsedRecently: 0, accounts: Math.ceil(COMPARE_N / PER_ACCOUNT), now: new Date() });
    const started = performance.now();
    const counts = await maintenanceWith(t, rows).cleanup(ctx);
    const seconds = (performance.now() - started) / 1000;
    rates.push(counts.deleted / seconds);
    console.log(`${String(rows).padStart(4)} claim(s) per transaction: ${counts.deleted} deleted in ${seconds.toFixed(1)} s = ${(counts.deleted / seconds).toFixed(0)} rows/s`);
  }
  console.log(`batched / one per transaction: ${(rates[1] / rates[0]).toFixed(1)}x\n`);
}

/** The server's count of row lock waits and the milliseconds spent in them, since it started. */
async function rowLockWaits(sql: mysql.Connection): Promise<{ waits: number; ms: number }> {
  const [rows] = (await sql.query(`SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_row_lock_waits', 'Innodb_row_lock_time')`)) as unknown as [
    { Variable_name: string; Value: string }[],
  ];
  const value = (name: string) => Number(rows.find((row) => row.Variable_name === name)?.Value ?? 0);
  return { waits: value("Innodb_row_lock_waits"), ms: value("Innodb_row_lock_time") };
}

/** `dnsproof cleanup --json` on the bench's database, as cron would run it: its counts and how long the process took. */
async function cleanupByCli(t: TestApp): Promise<{ counts: { expired: number; deleted: number }; seconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, "src/cli/bin.js"), "cleanup", "--json"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "test", DATABASE_URL: t.database.url, LOG_LEVEL: "silent", JWT_SECRET: "bench-cleanup-secret-0123456789abcdef0123" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`dnsproof cleanup exited with ${code}: ${out}`);
  return { counts: JSON.parse(out), seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const t = await startTestApp({
    db: "mariadb",
    env: { MAX_DOMAINS_PER_ACCOUNT: "1000000", WEBHOOK_WORKER_ENABLED: "false", WEBHOOK_ALLOW_PRIVATE: "true" },
  });
  const sql = await mysql.createConnection({ uri: t.database.url, timezone: "Z" });
  try {
    console.log(`MariaDB, ${CLEANUP_ROWS_PER_TRANSACTION} claims per cleanup transaction; claim load ${CLAIM_RATE}/s from ${CLAIMERS} clients\n`);
    if (COMPARE_N > 0) await compareBatching(t);
    const startUp = await cleanupByCli(t);
    console.log(`dnsproof cleanup with nothing to do (process start-up, migrations checked): ${startUp.seconds.toFixed(1)} s`);

    const tag = randomBytes(4).toString("hex");
    const accounts = Math.max(1, Math.ceil(N / PER_ACCOUNT));
    const lapsed = Math.floor(N / 10);
    const seeding = performance.now();
    await seedStaleClaims(t.database.url, { tag, stale: N - lapsed, lapsedLongAgo: lapsed, lapsedRecently: 0, accounts, now: new Date() });
    await sql.query("ANALYZE TABLE domains");
    // A few accounts listen for what cleanup writes, so deliveries are written as they would be.
    for (let a = 0; a < Math.min(20, accounts); a++) {
      const token = await t.token(staleAccountOf(tag, a, accounts));
      await t.gql(`mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`, { input: { url: "http://127.0.0.1:9/hooks" } }, { token });
    }
    console.log(`seeded ${N} stale claims (${lapsed} of them lapsed PENDING/FAILED) over ${accounts} accounts in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

    const baselineEnds = performance.now() + BASELINE_SECONDS * 1000;
    const baseline = await claimLoad(t, tag, accounts, CLAIMERS, () => performance.now() >= baselineEnds);
    console.log(latencies("claims, no cleanup     ", baseline.sorted, baseline.seconds));

    const locksBefore = await rowLockWaits(sql);
    let done = false;
    const deadline = performance.now() + MAX_SECONDS * 1000;
    const cleanupStarted = performance.now();
    // Where a long run stands, every PROGRESS_SECONDS: figures survive a run stopped half-way.
    const progress = setInterval(() => {
      void sql.query(`SELECT COUNT(*) AS n FROM domains WHERE id LIKE ?`, [`${tag}-%`]).then(([rows]) => {
        const left = Number((rows as { n: number }[])[0].n);
        const seconds = (performance.now() - cleanupStarted) / 1000;
        console.log(`  ${seconds.toFixed(0)} s: ${N - left} of ${N} seeded claims deleted (${((N - left) / seconds).toFixed(0)}/s)`);
      });
    }, PROGRESS_SECONDS * 1000);
    const load = claimLoad(t, tag, accounts, CLAIMERS, () => done || performance.now() >= deadline);
    const { counts, seconds } = await cleanupByCli(t).finally(() => {
      done = true;
      clearInterval(progress);
    });
    const during = await load;
    const locksAfter = await rowLockWaits(sql);
    console.log(latencies("claims, during cleanup ", during.sorted, during.seconds));
    if (baseline.failed + during.failed) console.log(`claims refused or failed: ${baseline.failed} without cleanup, ${during.failed} during`);
    console.log(
      `cleanup: expired ${counts.expired}, deleted ${counts.deleted} in ${seconds.toFixed(1)} s (process start-up included) = ` +
        `${(counts.deleted / seconds).toFixed(0)} rows/s deleted (${((counts.deleted + counts.expired) / seconds).toFixed(0)} changes/s)`,
    );
    console.log(
      `InnoDB row lock waits while cleanup ran (the whole server, other databases included): ${locksAfter.waits - locksBefore.waits}, ` +
        `${locksAfter.ms - locksBefore.ms} ms waited in all`,
    );
    const ratio = (p: number) => (percentile(during.sorted, p) / percentile(baseline.sorted, p)).toFixed(2);
    console.log(`during / without cleanup: p50 ${ratio(50)}x, p99 ${ratio(99)}x, worst ${ratio(100)}x`);

    const [[left]] = (await sql.query(`SELECT COUNT(*) AS n FROM domains WHERE id LIKE ?`, [`${tag}-%`])) as unknown as [{ n: number }[]];
    const [[removed]] = (await sql.query(`SELECT COUNT(*) AS n FROM audit_entries WHERE action = 'DOMAIN_REMOVED' AND domainId LIKE ?`, [`${tag}-%`])) as unknown as [{ n: number }[]];
    console.log(`check: ${left.n} seeded claims left, ${removed.n} DOMAIN_REMOVED entries for ${N} seeded claims`);
  } finally {
    await sql.end();
    await t.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
