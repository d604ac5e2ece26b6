/**
 * What DNSSEC validation costs one verification (`npm run bench:dnssec`): BIND 9 serves a signed
 * zone, Unbound validates in front of it, both on loopback. The baseline, measured in the same
 * run, is recursive mode without DNS_RESOLVERS_VALIDATE; authoritative mode with it also asks the
 * resolver for the record, so its extra cost is two queries per resolver. Each configuration runs
 * BENCH_DNSSEC_CHECKS sequential verifications (default 300, the configurations taking turns) after 20 warm-up ones; Unbound caches
 * answers for at most 1 s, so most lookups are cache hits, as in production. Figures, not assertions.
 */
import "reflect-metadata";
import { performance } from "node:perf_hooks";
import { startBind9 } from "../support/bind9";
import { startUnbound } from "../support/unbound";
import { verifierFor } from "../e2e/dns/verifier-fixtures";
import { expectedTxtValue } from "../../src/verification/records";
import type { DomainVerifierOptions } from "../../src/verification/client";

const CHECKS = Number(process.env.BENCH_DNSSEC_CHECKS ?? 300);
const TOKEN = "0123456789abcdef".repeat(4);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const authority = await startBind9({ zones: [{ name: "signed.test", signed: true, records: [`_dnsproof-verify.a TXT "${expectedTxtValue(TOKEN)}"`] }] });
  const resolver = await startUnbound({ zones: [{ name: "signed.test", nameserver: authority.server, trustAnchor: authority.dnskey("signed.test") }] });
  const configurations: [string, Partial<DomainVerifierOptions>][] = [
    ["recursive", {}],
    ["recursive, DNS_RESOLVERS_VALIDATE", { resolversValidate: true }],
    ["recursive, require-secure", { resolversValidate: true, dnssecPolicy: "require-secure" }],
    ["authoritative", { mode: "authoritative" }],
    ["authoritative, DNS_RESOLVERS_VALIDATE", { mode: "authoritative", resolversValidate: true }],
  ];
  const request = { name: "a.signed.test", token: TOKEN, previousTokens: [] };
  const verifiers = configurations.map(([, overrides]) =>
    verifierFor([resolver.server], { authoritativePort: authority.port, allowPrivateNameservers: true, ...overrides }),
  );
  const times: number[][] = configurations.map(() => []);
  const last: { outcome: string; dnssec: string }[] = [];
  try {
    for (let i = 0; i < 20; i++) for (const verifier of verifiers) await verifier.verify(request);
    // Round robin, so cache refreshes and machine noise fall on every configuration alike.
    for (let i = 0; i < CHECKS; i++) {
      for (const [n, verifier] of verifiers.entries()) {
        const started = performance.now();
        last[n] = await verifier.verify(request);
        times[n].push(performance.now() - started);
      }
    }
  } finally {
    await Promise.all([resolver.stop(), authority.stop()]);
  }
  const rows = configurations.map(([name], n) => {
    const sorted = [...times[n]].sort((a, b) => a - b);
    return { name, p50: percentile(sorted, 50), p99: percentile(sorted, 99), ...last[n] };
  });
  const base = rows[0];
  console.log(`${CHECKS} verifications each, sequential, through Unbound in front of BIND 9 (signed zone)`);
  console.log("configuration | outcome | dnssec | p50 ms | p99 ms | p50 vs baseline");
  for (const row of rows) {
    console.log(`${row.name} | ${row.outcome} | ${row.dnssec} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${(row.p50 / base.p50).toFixed(2)}×`);
  }
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
