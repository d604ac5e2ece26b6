/**
 * `npm run bench:scale`: what the reads cost as the data grows. Two scratch MariaDB databases
 * are seeded with `dnsproof seed`: a small one of ten accounts (50 claims each, with their audit
 * entries) and one holding SCALE_DOMAINS claims over accounts of the same shape (1M claims and
 * 10M audit entries by default). One claim in each gets a 10,000-entry audit log. dnsproof runs
 * as `npm start` runs it, one process per database, and wrk measures each read in turn against
 * both, interleaved, BENCH_ROUNDS rounds: CPU per request (from /proc) and p99, large ÷ small.
 *
 * Then, when they exist, the sweep, CRL and cleanup benchmarks run at their own scale (their
 * npm scripts, with SCALE_RUN_OTHERS=false to skip them). Figures, not assertions. Loopback only.
 *
 *   SCALE_DOMAINS=100000 npm run bench:scale   # a shorter run
 */
import "reflect-metadata";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import mysql from "mysql2/promise";
import { entities } from "../../src/app/entities";
import { mintToken } from "../../src/auth/dev-credentials";
import { SeedPlan, SeedReport, seed } from "../../src/cli/seed";
import { ScratchDatabase, createScratchDatabase } from "../support/databases";
import { DOMAINS_WITH_AUDIT_LOG } from "./operations";
import { JWT_SECRET, LoadFigures, Server, build, luaString, median, post, start, stop, wrk } from "./processes";

const DOMAINS = Number(process.env.SCALE_DOMAINS ?? 1_000_000);
const AUDIT_PER_DOMAIN = Number(process.env.SCALE_AUDIT_PER_DOMAIN ?? 10);
/** Claims per account: the frontends' page (first: 50) is one account's whole list, in both databases. */
const PER_ACCOUNT = 50;
const LONG_LOG = 10_000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const ADMIN = "bench-admin";
const ROOT = path.resolve(__dirname, "../..");

/** A read of the set that must stay flat, as wrk sends it. */
interface Read {
  name: string;
  query: string;
  variables: (fixture: Fixture) => Record<string, unknown>;
  admin?: boolean;
}

/** What one database holds for the reads: its account, a claim of it, and the claim with the long log. */
interface Fixture {
  label: string;
  database: ScratchDatabase;
  seeded: SeedReport;
  accountId: string;
  domainId: string;
  longLogDomainId: string;
  domainName: string;
  server?: Server;
}

const READS: Read[] = [
  { name: "domains(first: 50) + auditLog (the frontends' query)", query: DOMAINS_WITH_AUDIT_LOG, variables: () => ({ first: 50 }) },
  {
    name: "domain(id)",
    query: `query($id: ID!) { domain(id: $id) { id name status verified txtRecord { host value } lastCheck { outcome checkedAt } auditLog(first: 10) { totalCount nodes { id action createdAt } } } }`,
    variables: (f) => ({ id: globalId("Domain", f.domainId) }),
  },
  {
    name: "events(first: 50) from the start",
    query: `query { events(first: 50, order: OLDEST_FIRST) { edges { cursor node { id action createdAt } } pageInfo { hasNextPage endCursor } } }`,
    variables: () => ({}),
  },
  {
    name: "events(first: 50) from the end",
    query: `query { events(first: 50, order: NEWEST_FIRST) { edges { cursor node { id action createdAt } } pageInfo { hasNextPage endCursor } } }`,
    variables: () => ({}),
  },
  {
    name: "domain(id).auditLog(first: 50), 10,000 entries",
    query: `query($id: ID!) { domain(id: $id) { auditLog(first: 50) { totalCount edges { cursor node { id action createdAt } } } } }`,
    variables: (f) => ({ id: globalId("Domain", f.longLogDomainId) }),
  },
  {
    name: "auditLog(domainId, first: 50), 10,000 entries",
    query: `query($id: ID!) { auditLog(domainId: $id, first: 50) { edges { cursor node { id action createdAt } } pageInfo { hasNextPage } } }`,
    variables: (f) => ({ id: globalId("Domain", f.longLogDomainId) }),
  },
  ...adminReads(),
];

function adminReads(): Read[] {
  const fields = `edges { cursor node { id name status } } pageInfo { hasNextPage endCursor }`;
  return [
    { name: "adminDomains(first: 50)", query: `query { adminDomains(first: 50) { ${fields} } }`, variables: () => ({}), admin: true },
    { name: "adminDomains(status: VERIFIED)", query: `query { adminDomains(first: 50, status: VERIFIED) { ${fields} } }`, variables: () => ({}), admin: true },
    { name: "adminDomains(status: EXPIRED)", query: `query { adminDomains(first: 50, status: EXPIRED) { ${fields} } }`, variables: () => ({}), admin: true },
    {
      name: "adminDomains(accountId)",
      query: `query($a: ID!) { adminDomains(first: 50, accountId: $a) { ${fields} } }`,
      variables: (f) => ({ a: f.accountId }),
      admin: true,
    },
    {
      name: "adminDomains(name: one claim's name)",
      query: `query($n: String!) { adminDomains(first: 50, name: $n) { ${fields} } }`,
      variables: (f) => ({ n: f.domainName }),
      admin: true,
    },
    {
      name: "adminDomains(first: 50) with totalCount",
      query: `query { adminDomains(first: 50) { totalCount ${fields} } }`,
      variables: () => ({}),
      admin: true,
    },
  ];
}

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`, "utf8").toString("base64url");

function plan(domains: number): SeedPlan {
  return {
    domains,
    accounts: Math.max(1, Math.round(domains / PER_ACCOUNT)),
    auditPerDomain: AUDIT_PER_DOMAIN,
    dueWithinSeconds: 86_400,
    webhooksPerAccount: 1,
    deliveriesPerEndpoint: 10,
    certificates: Math.ceil(domains / 10),
    revoked: Math.ceil(domains / 100),
  };
}

/** Seeds `domains` claims, then gives one claim of the first account a log of LONG_LOG entries. */
async function fixture(label: string, domains: number): Promise<Fixture> {
  const database = await createScratchDatabase("mariadb");
  process.stdout.write(`seeding ${label}: ${domains.toLocaleString("en")} claims, ${(domains * AUDIT_PER_DOMAIN).toLocaleString("en")} audit entries... `);
  const seeded = await seed(database.url, plan(domains), entities);
  console.log(`${seeded.seconds.toFixed(1)} s, ${seeded.rowsPerSecond.toLocaleString("en")} rows/s`);
  const connection = await mysql.createConnection({ uri: database.url, timezone: "Z" });
  try {
    const [[first]] = (await connection.query("SELECT accountId FROM domains ORDER BY id LIMIT 1")) as unknown as [{ accountId: string }[]];
    const [claims] = (await connection.query("SELECT id, name FROM domains WHERE accountId = ? ORDER BY id LIMIT 2", [first.accountId])) as unknown as [{ id: string; name: string }[]];
    await lengthenLog(connection, claims[1].id);
    await connection.query("ANALYZE TABLE domains, audit_entries");
    return { label, database, seeded, accountId: first.accountId, domainId: claims[0].id, domainName: claims[0].name, longLogDomainId: claims[1].id };
  } finally {
    await connection.end();
  }
}

/** Copies a claim's first audit entry LONG_LOG times, a second apart, with MariaDB's sequence engine: no rows cross the wire. */
async function lengthenLog(connection: mysql.Connection, domainId: string): Promise<void> {
  const [columns] = (await connection.query(
    "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'audit_entries' ORDER BY ORDINAL_POSITION",
  )) as unknown as [{ name: string }[]];
  const names = columns.map((c) => c.name);
  const values = names.map((name) =>
    name === "id" ? "CONCAT('ffffffff-ffff-4000-8000-', LPAD(HEX(seq), 12, '0'))" : name === "createdAt" ? "e.createdAt + INTERVAL seq SECOND" : `e.\`${name}\``,
  );
  await connection.query(
    `INSERT INTO audit_entries (${names.map((n) => `\`${n}\``).join(", ")})
     SELECT ${values.join(", ")} FROM seq_1_to_${LONG_LOG} JOIN (SELECT * FROM audit_entries WHERE domainId = ? ORDER BY createdAt LIMIT 1) e`,
    [domainId],
  );
}

function script(read: Read, f: Fixture, token: string): string {
  return `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = ${luaString(`Bearer ${token}`)}
wrk.body = ${luaString(JSON.stringify({ query: read.query, variables: read.variables(f) }))}
`;
}

async function measure(fixtures: Fixture[]): Promise<Map<string, Record<string, LoadFigures[]>>> {
  const tokens = new Map<Fixture, { user: string; admin: string }>();
  for (const f of fixtures) {
    tokens.set(f, { user: await mintToken(JWT_SECRET, { sub: f.accountId }), admin: await mintToken(JWT_SECRET, { sub: ADMIN }) });
    // Each read answers without errors before it is timed: a failing read would be measured as fast.
    for (const read of READS) await post(f.server!.url, read.query, read.variables(f), read.admin ? tokens.get(f)!.admin : tokens.get(f)!.user);
  }
  const figures = new Map<string, Record<string, LoadFigures[]>>();
  for (const read of READS) figures.set(read.name, Object.fromEntries(fixtures.map((f) => [f.label, []])));
  // Warm each (JIT, pools, buffer pool) before anything is measured.
  for (const f of fixtures) for (const read of READS) wrk(f.server!, script(read, f, read.admin ? tokens.get(f)!.admin : tokens.get(f)!.user), 1, CONNECTIONS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const read of READS) {
      for (const f of round % 2 ? [...fixtures].reverse() : fixtures) {
        const token = read.admin ? tokens.get(f)!.admin : tokens.get(f)!.user;
        figures.get(read.name)![f.label].push(wrk(f.server!, script(read, f, token), SECONDS, CONNECTIONS));
      }
    }
    console.log(`reads: round ${round + 1} of ${ROUNDS} done`);
  }
  return figures;
}

function report(fixtures: [Fixture, Fixture], figures: Map<string, Record<string, LoadFigures[]>>): void {
  const [small, large] = fixtures;
  const rows: Record<string, Record<string, string>> = {};
  for (const [name, byLabel] of figures) {
    const m = (label: string, key: keyof LoadFigures) => median(byLabel[label].map((f) => f[key]));
    const cpuSmall = m(small.label, "cpuMsPerRequest");
    const cpuLarge = m(large.label, "cpuMsPerRequest");
    const p99Small = m(small.label, "p99Ms");
    const p99Large = m(large.label, "p99Ms");
    // A read that got no answer within the run has no cost to show, rather than an infinite one.
    const shown = (value: number, digits: number) => (Number.isFinite(value) && value > 0 ? value.toFixed(digits) : "-");
    rows[name] = {
      [`CPU ms/req ${small.label}`]: shown(cpuSmall, 2),
      [`CPU ms/req ${large.label}`]: shown(cpuLarge, 2),
      "CPU ×": shown(cpuLarge / cpuSmall, 2),
      [`p99 ms ${small.label}`]: shown(p99Small, 1),
      [`p99 ms ${large.label}`]: shown(p99Large, 1),
      "p99 ×": shown(p99Large / p99Small, 2),
    };
  }
  console.log("");
  console.table(rows);
  const seeded = large.seeded;
  const total = Object.values(seeded.rows).reduce((sum, n) => sum + n, 0);
  console.log(`seeding ${large.label}: ${total.toLocaleString("en")} rows (${Object.entries(seeded.rows).map(([t, n]) => `${t} ${n.toLocaleString("en")}`).join(", ")}) in ${seeded.seconds.toFixed(1)} s`);
}

/** The other scale benchmarks, each at its own full size, when this checkout has them. */
function runOthers(): void {
  if (process.env.SCALE_RUN_OTHERS === "false") return;
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
  for (const name of ["bench:sweep", "bench:crl", "bench:cleanup"]) {
    if (!scripts[name]) continue;
    console.log(`\n==> npm run ${name}`);
    execFileSync("npm", ["run", "-s", name], { cwd: ROOT, stdio: "inherit", env: process.env });
  }
}

async function main() {
  console.log(`dnsproof's reads, one account's data alone versus among ${DOMAINS.toLocaleString("en")} claims: ${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections (wrk), interleaved; loopback only`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
  const entry = build().dnsproof;
  const fixtures: Fixture[] = [];
  try {
    // Ten accounts, so the admin reads find a page of each status there too: the same work per answer.
    fixtures.push(await fixture("small", PER_ACCOUNT * 10));
    fixtures.push(await fixture(DOMAINS >= 1_000_000 ? `${DOMAINS / 1_000_000}M` : `${Math.round(DOMAINS / 1000)}k`, DOMAINS));
    for (const f of fixtures) f.server = await start(f.label, entry, f.database.url, { ADMIN_USER_IDS: ADMIN, WEBHOOK_WORKER_ENABLED: "false" });
    report(fixtures as [Fixture, Fixture], await measure(fixtures));
  } finally {
    for (const f of fixtures) {
      if (f.server) await stop(f.server);
      await f.database.drop();
    }
  }
  runOthers();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
