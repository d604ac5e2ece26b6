import pino from "pino";
import { CheckRunner, YIELD_MAX_MS } from "./check-runner";
import { Foreground } from "../shared/foreground";
import { DomainStatus } from "../shared/domain-status";
import type { Domain } from "../domains/domain.entity";
import type { DomainVerifier, VerificationCheckData } from "../verification/types";
import type { LeasedCheckResult, VerificationService } from "../domains/verification.service";

const NOW = new Date("2026-12-06T00:00:00Z");

function claim(i: number): Domain {
  return { id: `d${i}`, name: `d${i}.example.test`, accountId: "a", token: "t".repeat(64), previousTokens: [], status: DomainStatus.VERIFIED, tokenExpiresAt: new Date(NOW.getTime() + 86_400_000) } as unknown as Domain;
}

/** A verifier whose lookups take `ms`, counting how many run at once. */
function slowVerifier(ms: number) {
  const seen = { now: 0, most: 0, calls: 0 };
  const verifier: DomainVerifier = {
    async verify() {
      seen.calls++;
      seen.most = Math.max(seen.most, ++seen.now);
      await new Promise((resolve) => setTimeout(resolve, ms));
      seen.now--;
      return { outcome: "VERIFIED" } as VerificationCheckData;
    },
  };
  return { verifier, seen };
}

const recording = {
  applyLeasedChecks: async (checks: readonly LeasedCheckResult[]) => checks.map(({ claim: domain, check }) => ({ domain, check })),
} as unknown as VerificationService;

function runner(verifier: DomainVerifier, foreground: Foreground) {
  return new CheckRunner(recording, verifier, { now: () => NOW }, { concurrency: 5, logger: pino({ level: "silent" }), foreground });
}

describe("a sweep beside requests", () => {
  it("checks with every worker while no request is in hand", async () => {
    const { verifier, seen } = slowVerifier(20);
    const results = await runner(verifier, new Foreground()).run({ lease: "l", domains: Array.from({ length: 20 }, (_, i) => claim(i)) }, { type: "SYSTEM" } as never, null);
    expect(results).toHaveLength(20);
    expect(seen.most).toBe(5);
  });

  it("starts new checks from one worker only while a request is in hand, and every worker again once it is answered", async () => {
    const { verifier, seen } = slowVerifier(5);
    const foreground = new Foreground();
    foreground.enter();
    // The request is answered well before the others' longest wait would let them go.
    const answered = setTimeout(() => foreground.leave(), YIELD_MAX_MS / 2);
    const mostWhileBusy: number[] = [];
    const sampler = setInterval(() => foreground.busy && mostWhileBusy.push(seen.now), 1);
    try {
      const results = await runner(verifier, foreground).run({ lease: "l", domains: Array.from({ length: 40 }, (_, i) => claim(i)) }, { type: "SYSTEM" } as never, null);
      expect(results).toHaveLength(40);
    } finally {
      clearTimeout(answered);
      clearInterval(sampler);
    }
    expect(mostWhileBusy.length).toBeGreaterThan(5);
    expect(Math.max(...mostWhileBusy)).toBe(1);
    // Every worker went on once the request was answered.
    expect(seen.most).toBe(5);
  });
});
