/**
 * Prints throughput and latency figures for the API on loopback: reads, writes and
 * verification against real bind9 vantage points. `npm run bench:api` (needs bind9 and, for
 * the MariaDB rows, the local MariaDB). Figures, not assertions: speed targets live here.
 */
import "reflect-metadata";
import { startBind9 } from "../support/bind9";
import { DatabaseFlavor } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";
import { LoadFigures, closedLoop } from "./closed-loop";

const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

type Figures = LoadFigures;

/** Keeps CONCURRENCY requests in flight for DURATION_MS and reports what came back. */
const load = (run: (i: number) => Promise<boolean>, durationMs = DURATION_MS, concurrency = CONCURRENCY) => closedLoop(run, durationMs, concurrency);

async function bench(db: DatabaseFlavor, dnsServers: string): Promise<Record<string, Figures>> {
  const t: TestApp = await startTestApp({
    db,
    env: { DNS_SERVERS: dnsServers, DNS_TIMEOUT_MS: "2000", MAX_DOMAINS_PER_ACCOUNT: "100000" },
  });
  try {
    const token = await t.token("bench-reader");
    for (let i = 0; i < 50; i++) await t.gql(`mutation($n: String!) { claimDomain(input: { name: $n }) { created } }`, { n: `r${i}.acme.test` }, { token });
    const { body } = await t.gql(`{ domains(first: 1) { nodes { id } } }`, {}, { token });
    const verifyId = body.data.domains.nodes[0].id;
    const writer = await t.token("bench-writer");
    const results: Record<string, Figures> = {};
    results["viewer"] = await load(async () => !(await t.gql(`{ viewer { accountId domainCount } }`, {}, { token })).body.errors);
    results["domains(first: 20) + auditLog"] = await load(
      async () => !(await t.gql(`{ domains(first: 20) { totalCount nodes { name status txtRecord { value } auditLog(first: 5) { nodes { action } } } } }`, {}, { token })).body.errors,
    );
    results["claimDomain"] = await load(
      async (i) => !(await t.gql(`mutation($n: String!) { claimDomain(input: { name: $n }) { created userErrors { code } } }`, { n: `w${i}-${db}.acme.test` }, { token: writer })).body.errors,
    );
    results["verifyDomain (3 bind9 vantage points)"] = await load(
      async () => (await t.gql(`mutation($id: ID!) { verifyDomain(input: { id: $id }) { check { outcome } } }`, { id: verifyId }, { token })).body.data?.verifyDomain.check.outcome === "RECORD_NOT_FOUND",
    );
    return results;
  } finally {
    await t.close();
  }
}

async function main() {
  const servers = await Promise.all([0, 1, 2].map(() => startBind9({ zones: [{ name: "acme.test" }] })));
  try {
    const dnsServers = servers.map((s) => s.server).join(",");
    console.log(`dnsproof API benchmark: ${CONCURRENCY} requests in flight, ${DURATION_MS / 1000} s per row, loopback only\n`);
    for (const db of (process.env.BENCH_DATABASES ?? "sqlite,mariadb").split(",") as DatabaseFlavor[]) {
      const rows = await bench(db, dnsServers);
      console.log(`${db}`);
      console.table(rows);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
