/**
 * What a 3-node Galera cluster costs and gives, against one MariaDB server with the same
 * settings, measured in one run on loopback. `npm run bench:galera` (needs mariadb-server,
 * galera-4, rsync and socat). Three dnsproof processes in both set-ups (on the one server, or one
 * per node), the same concurrency and duration, so only the database differs. Prints:
 *
 * - claims/s and reads/s (the frontends' domains-with-audit-log page), and Galera's ratio to one server;
 * - transactions retried per 1,000 claims of ONE hot account, claims spread over the three instances;
 * - the time from a SIGKILLed node being Synced again to its instance's first acknowledged claim.
 *
 * BENCH_SECONDS (5) per row, BENCH_CONCURRENCY (16) requests in flight, BENCH_ROUNDS (3) interleaved rounds
 * of the throughput rows (medians printed), BENCH_KILL_ROUNDS (3).
 * Every load is bounded by its duration and every request by a client timeout.
 */
import "reflect-metadata";
import { startGalera, startSingleServer, GaleraCluster, SingleServer } from "../support/galera";
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { mintToken } from "../../src/auth/dev-credentials";
import { TEST_JWT_SECRET } from "../support/test-app";
import { CLAIM_DOMAIN, DOMAINS_WITH_AUDIT_LOG } from "./operations";
import { LoadFigures, closedLoop } from "./closed-loop";

const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const KILL_ROUNDS = Number(process.env.BENCH_KILL_ROUNDS ?? 3);
/** Rounds of one-server-then-Galera rows; the medians are printed, as other loads on the machine come and go. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REQUEST_TIMEOUT_MS = 20_000;
/** Ports apart from the e2e test's cluster (3311-3313, 4571-4593), so both can run at once. */
const GALERA_PORTS = { basePort: 3330, groupBasePort: 4630 };
const SINGLE_PORT = 3329;

/** dnsproof's HTTP ports: 4741-4743 on the one server, 4744-4746 on the cluster's nodes. */
const INSTANCE_BASE_PORT = 4740;

const INSTANCE_ENV = {
  NODE_ENV: "test",
  HOST: "127.0.0.1",
  JWT_SECRET: TEST_JWT_SECRET,
  // Request lines at info would cost the instances as much as some of what is measured.
  LOG_LEVEL: "warn",
  DNS_SERVERS: "127.0.0.1:9",
  SCHEDULER_ENABLED: "false",
  WEBHOOK_WORKER_ENABLED: "false",
  MAX_DOMAINS_PER_ACCOUNT: "1000000",
  RATE_LIMIT_MUTATIONS_PER_MINUTE: "10000000",
  RATE_LIMIT_VERIFY_PER_MINUTE: "10000000",
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: "10000000",
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: "10000000",
};

type Figures = LoadFigures;

interface Instance {
  child: ChildProcess;
  url: string;
  exited: Promise<unknown>;
}

/** One set-up: three dnsproof processes, each on its own URL (the same server, or one node each). */
interface Deployment {
  name: string;
  instances: Instance[];
}

/** Every dnsproof process this run started, stopped at the end whatever happened. */
const spawned: Instance[] = [];

/** `node src/main.ts` on a fixed loopback port; resolves once /healthz answers. */
async function spawnInstance(databaseUrl: string, port: number): Promise<Instance> {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "src/main.ts"], {
    cwd: path.resolve(__dirname, "../.."),
    env: { ...process.env, ...INSTANCE_ENV, PORT: String(port), DATABASE_URL: databaseUrl },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const url = `http://127.0.0.1:${port}`;
  spawned.push({ child, url, exited });
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dnsproof on port ${port} exited with ${child.exitCode}`);
    const healthy = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (healthy) return { child, url, exited };
    if (Date.now() > deadline) throw new Error(`dnsproof on port ${port} not answering within 180 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function deploy(name: string, urls: string[], firstPort: number): Promise<Deployment> {
  // One at a time: the first migrates the empty database, and compiling three at once on a busy machine takes minutes.
  const instances: Instance[] = [];
  for (const [i, url] of urls.entries()) instances.push(await spawnInstance(url, firstPort + i));
  return { name, instances };
}

async function stopInstances(): Promise<void> {
  for (const instance of spawned) {
    if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill("SIGTERM");
    await instance.exited;
  }
}

/** One GraphQL request, bounded by the client timeout; true when it answered without errors (and `accept` agrees). */
async function gql(baseUrl: string, query: string, variables: Record<string, unknown>, token: string, accept: (data: any) => boolean = () => true): Promise<{ ok: boolean; code?: string }> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
  if (body.errors?.length) return { ok: false, code: body.errors[0].extensions?.code };
  return { ok: accept(body.data) };
}

/** Keeps CONCURRENCY requests in flight for `durationMs`; the callers send request i to instance i mod 3. */
const load = (run: (i: number) => Promise<boolean>, durationMs = DURATION_MS) => closedLoop(run, durationMs, CONCURRENCY);

const created = (data: any) => data?.claimDomain?.created === true;

/** Claims of distinct names (`tag` keeps rounds apart), one account per request slot, so nothing conflicts but the load itself. */
async function claims(deployment: Deployment, tag: string, durationMs?: number): Promise<Figures> {
  const tokens = await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => mintToken(TEST_JWT_SECRET, { sub: `bench-${tag}-${w}` })));
  return load((i) => gql(deployment.instances[i % 3].url, CLAIM_DOMAIN, { name: `c${i}-${tag}.acme.test` }, tokens[i % CONCURRENCY], created).then((r) => r.ok), durationMs);
}

const READER = "bench-reader";

/** Gives the reading account the page the reads ask for: 20 claims, each with its audit entry. */
async function seedReader(deployment: Deployment): Promise<void> {
  const token = await mintToken(TEST_JWT_SECRET, { sub: READER });
  for (let d = 0; d < 20; d++) {
    const claimed = await gql(deployment.instances[d % 3].url, CLAIM_DOMAIN, { name: `r${d}.acme.test` }, token, created);
    if (!claimed.ok) throw new Error(`seeding the read account failed: ${claimed.code}`);
  }
}

/** The frontends' page: 20 domains, each with its last ten audit entries. */
async function reads(deployment: Deployment, durationMs?: number): Promise<Figures> {
  const token = await mintToken(TEST_JWT_SECRET, { sub: READER });
  return load((i) => gql(deployment.instances[i % 3].url, DOMAINS_WITH_AUDIT_LOG, { first: 20 }, token, (data) => data?.domains?.edges?.length === 20).then((r) => r.ok), durationMs);
}

async function retriesCounted(deployment: Deployment): Promise<number> {
  let total = 0;
  for (const instance of deployment.instances) {
    const text = await (await fetch(`${instance.url}/metrics`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).text();
    total += Number(/^dnsproof_transaction_retries_total (\S+)$/m.exec(text)?.[1] ?? 0);
  }
  return total;
}

/** Every claim on ONE account, spread over the three instances: each bumps the same account row. */
async function hotAccount(deployment: Deployment, tag: string): Promise<{ claims: number; acknowledged: number; retries: number; retriesPer1000: number; unavailable: number; claimsPerSecond: number }> {
  const token = await mintToken(TEST_JWT_SECRET, { sub: `bench-hot-${tag}` });
  const before = await retriesCounted(deployment);
  let acknowledged = 0;
  let unavailable = 0;
  const figures = await load(async (i) => {
    const result = await gql(deployment.instances[i % 3].url, CLAIM_DOMAIN, { name: `h${i}-${tag}.acme.test` }, token, created);
    if (result.ok) acknowledged++;
    if (result.code === "SERVICE_UNAVAILABLE") unavailable++;
    return result.ok;
  });
  const retries = (await retriesCounted(deployment)) - before;
  return {
    claims: figures.requests,
    acknowledged,
    retries,
    retriesPer1000: Number(((retries / Math.max(1, figures.requests)) * 1000).toFixed(1)),
    unavailable,
    claimsPerSecond: figures.perSecond,
  };
}

/** SIGKILLs node 2, restarts it, and measures from Synced to its instance's first acknowledged claim. */
async function recoveryAfterKill(cluster: GaleraCluster, deployment: Deployment, round: number): Promise<{ downMs: number; rejoinMs: number; syncedToFirstSuccessMs: number }> {
  const instance = deployment.instances[1];
  const token = await mintToken(TEST_JWT_SECRET, { sub: `bench-kill-${round}` });
  const killedAt = Date.now();
  await cluster.killNode(2);
  // Down for a moment, as a crashed node is before anything restarts it.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const restartedAt = Date.now();
  const syncedAt = await cluster.restartNode(2);
  for (let attempt = 0; Date.now() - syncedAt < 60_000; attempt++) {
    const result = await gql(instance.url, CLAIM_DOMAIN, { name: `k${round}-${attempt}.acme.test` }, token, created).catch(() => ({ ok: false }));
    if (result.ok) return { downMs: restartedAt - killedAt, rejoinMs: syncedAt - restartedAt, syncedToFirstSuccessMs: Date.now() - syncedAt };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the instance on the restarted node did not serve within 60 s of its node being Synced");
}

const ratio = (galera: number, single: number) => `${(galera / single).toFixed(2)}x`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  let single: SingleServer | undefined;
  let cluster: GaleraCluster | undefined;
  try {
    console.log(`dnsproof on Galera: ${CONCURRENCY} requests in flight, ${DURATION_MS / 1000} s per row, three instances in both set-ups, loopback only\n`);
    single = await startSingleServer({ port: SINGLE_PORT });
    cluster = await startGalera(GALERA_PORTS);
    const singleUrl = await single.createDatabase();
    const one = await deploy("one MariaDB server", [singleUrl, singleUrl, singleUrl], INSTANCE_BASE_PORT + 1);
    const three = await deploy("three Galera nodes", await cluster.createDatabase(), INSTANCE_BASE_PORT + 4);

    for (const deployment of [one, three]) {
      await seedReader(deployment);
      // Warm-up, not counted: the instances' first requests compile and fill caches.
      await claims(deployment, `warm-${deployment === one ? "one" : "three"}`, 1000);
      await reads(deployment, 1000);
    }
    // Interleaved, one set-up right after the other for each row, so both see the same machine.
    const measured = { claims: { one: [] as Figures[], three: [] as Figures[] }, reads: { one: [] as Figures[], three: [] as Figures[] } };
    for (let round = 1; round <= ROUNDS; round++) {
      measured.claims.one.push(await claims(one, `one-${round}`));
      measured.claims.three.push(await claims(three, `three-${round}`));
      measured.reads.one.push(await reads(one));
      measured.reads.three.push(await reads(three));
    }
    const rows: Record<string, Record<string, number | string>> = {};
    for (const key of ["claims", "reads"] as const) {
      const { one: a, three: b } = measured[key];
      rows[`${key}/s, each round`] = { [one.name]: a.map((f) => f.perSecond).join(" "), [three.name]: b.map((f) => f.perSecond).join(" "), "Galera / one": "" };
      for (const field of ["perSecond", "p50", "p99"] as const) {
        const x = median(a.map((f) => f[field]));
        const y = median(b.map((f) => f[field]));
        rows[`${key} ${field === "perSecond" ? "/s" : `${field} ms`} (median)`] = { [one.name]: x, [three.name]: y, "Galera / one": ratio(y, x) };
      }
      rows[`${key} errors`] = { [one.name]: a.reduce((n, f) => n + f.errors, 0), [three.name]: b.reduce((n, f) => n + f.errors, 0), "Galera / one": "" };
    }
    console.table(rows);

    console.log("\nONE hot account, its claims spread over the three instances");
    console.table({ [one.name]: await hotAccount(one, "one"), [three.name]: await hotAccount(three, "three") });

    console.log(`\nnode 2 SIGKILLed, down 2 s, restarted (${KILL_ROUNDS} rounds)`);
    const recoveries = [];
    for (let round = 1; round <= KILL_ROUNDS; round++) recoveries.push(await recoveryAfterKill(cluster, three, round));
    console.table(recoveries);
  } finally {
    await stopInstances();
    await cluster?.stop();
    await single?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
