/**
 * What remote perspectives cost (`npm run bench:perspectives`): the latency of one verification
 * (p50, p99) with 0, 3 and 5 perspectives on loopback, the 0 run being the baseline measured in
 * the same run, and the CPU one perspective process spends per lookup, read from /proc.
 * Every perspective is a real `dnsproof perspective` process asking the same BIND 9; the
 * configurations take turns, round by round, so a busy machine slows them alike.
 * BENCH_PERSPECTIVE_ROUNDS (default 6) × BENCH_PERSPECTIVE_BATCH (default 50) verifications each.
 * Figures, not assertions.
 */
import "reflect-metadata";
import fs from "node:fs";
import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { startBind9 } from "../support/bind9";
import { spawnPerspective, type PerspectiveProcess } from "../support/perspective-process";
import { createDomainVerifier } from "../../src/verification/client";
import { withCorroboration } from "../../src/perspectives/corroborating-verifier";
import { createPerspectiveClient } from "../../src/perspectives/perspective-client";
import { expectedTxtValue, verificationHost } from "../../src/verification/records";
import { systemClock } from "../../src/shared/clock";
import type { DomainVerifier } from "../../src/verification/types";

const ROUNDS = Number(process.env.BENCH_PERSPECTIVE_ROUNDS ?? 6);
const BATCH = Number(process.env.BENCH_PERSPECTIVE_BATCH ?? 50);
const SECRET = "bench-perspective-secret-0123456789abcdef";
const ZONE = "bench.test";
const NAME = `shop.${ZONE}`;
const TOKEN = "d".repeat(64);
const CNAME_ZONE = "verify.dnsproof.dev";
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** User plus system CPU of a process so far, in milliseconds. */
function cpuMsOf(pid: number): number {
  // Fields 14 and 15 (utime, stime) after the command name, which may hold spaces: count from its closing parenthesis.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const dns = await startBind9({ zones: [{ name: ZONE, records: [`${verificationHost(NAME)}. TXT "${expectedTxtValue(TOKEN)}"`] }] });
  const perspectives: PerspectiveProcess[] = [];
  try {
    const regions = ["ARIN", "RIPE", "APNIC", "ARIN", "RIPE"];
    perspectives.push(...(await Promise.all(regions.map((region, i) => spawnPerspective({ name: `p${i + 1}`, region, resolver: dns.server, secret: SECRET, env: { PERSPECTIVE_RATE_LIMIT: "1000000" } })))));
    const local = createDomainVerifier({ servers: [dns.server], timeoutMs: 3000, mode: "recursive", authoritativePort: 53, cnameZone: CNAME_ZONE, clock: systemClock });
    const clients = perspectives.map((p) => createPerspectiveClient(p.url, { secret: SECRET }));
    const configurations: [string, DomainVerifier][] = [
      ["0 perspectives (baseline)", local],
      ["3 perspectives", withCorroboration(local, clients.slice(0, 3), { timeoutMs: 3000, cnameZone: CNAME_ZONE })],
      ["5 perspectives", withCorroboration(local, clients, { timeoutMs: 3000, cnameZone: CNAME_ZONE })],
    ];
    const request = { name: NAME, token: TOKEN, previousTokens: [] };
    // Warm-up: ts-node's compilation in each perspective, connections, BIND's cache.
    for (const [, verifier] of configurations) for (let i = 0; i < 20; i++) await verifier.verify(request);

    const samples = new Map<string, number[]>(configurations.map(([label]) => [label, []]));
    const first = perspectives[0].child.pid!;
    let firstLookups = 0;
    const cpuBefore = cpuMsOf(first);
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, verifier] of configurations) {
        for (let i = 0; i < BATCH; i++) {
          const t0 = performance.now();
          const check = await verifier.verify(request);
          samples.get(label)!.push(performance.now() - t0);
          if (check.outcome !== "VERIFIED") throw new Error(`${label}: ${check.outcome}: ${check.message}`);
          if (label !== configurations[0][0]) firstLookups++;
        }
      }
    }
    const cpuMs = cpuMsOf(first) - cpuBefore;
    const seconds = (performance.now() - started) / 1000;

    const baseline = percentile([...samples.get(configurations[0][0])!].sort((a, b) => a - b), 50);
    console.log(`\nVerification latency, ${ROUNDS * BATCH} verifications per configuration (${seconds.toFixed(1)} s in all), loopback:`);
    console.log("| perspectives | p50 ms | p99 ms | p50 vs none |");
    console.log("| --- | --- | --- | --- |");
    for (const [label] of configurations) {
      const sorted = [...samples.get(label)!].sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      console.log(`| ${label} | ${p50.toFixed(2)} | ${percentile(sorted, 99).toFixed(2)} | ${(p50 / baseline).toFixed(2)}× |`);
    }
    console.log(
      `\nOne perspective (p1, pid ${first}): ${cpuMs.toFixed(0)} ms of CPU for ${firstLookups} lookups (a TXT and a CNAME query each, signed answer) = ` +
        `${(cpuMs / firstLookups).toFixed(3)} ms per lookup (/proc/${first}/stat, ${CLOCK_TICKS} ticks/s).`,
    );
  } finally {
    await Promise.all(perspectives.map((p) => p.stop()));
    await dns.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
