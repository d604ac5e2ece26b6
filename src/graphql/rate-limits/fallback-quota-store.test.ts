import pino from "pino";
import { FallbackQuotaStore } from "./fallback-quota-store";
import { MemoryQuotaStore } from "./memory-quota-store";
import type { Quota } from "./quota-store";

const quotas: Record<string, Quota> = { claims: { max: 2, windowMs: 60_000 } };
const who = { contextIdentity: "account:a", fieldIdentity: "claims" };

/** A shared store that fails (as a stalled Redis past commandTimeout does) until told to answer. */
class FlakyStore extends MemoryQuotaStore {
  failing = true;
  override async reserve(key: string, quota: Quota) {
    if (this.failing) throw new Error("Command timed out");
    return super.reserve(key, quota);
  }
  override async ping() {
    return !this.failing;
  }
}

describe("FallbackQuotaStore", () => {
  it("counts in memory at the same limits while the shared store fails, and tells each transition once", async () => {
    const shared = new FlakyStore(quotas);
    const transitions: boolean[] = [];
    const store = new FallbackQuotaStore(shared, quotas, { logger: pino({ level: "silent" }), failClosed: false, onDegraded: (d) => transitions.push(d) });
    try {
      expect([await store.record(who), await store.record(who), await store.record(who)]).toEqual([true, true, false]);
      expect(store.isDegraded).toBe(true);
      expect(transitions).toEqual([true]);
      shared.failing = false;
      await new Promise((resolve) => setTimeout(resolve, 1300));
      expect(transitions).toEqual([true, false]);
      expect(store.isDegraded).toBe(false);
      // Back on the shared counts, which saw none of the local calls.
      expect(await store.record(who)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("refuses with SERVICE_UNAVAILABLE instead when failing closed", async () => {
    const store = new FallbackQuotaStore(new FlakyStore(quotas), quotas, { logger: pino({ level: "silent" }), failClosed: true });
    try {
      await expect(store.record(who)).rejects.toMatchObject({ extensions: { code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 1 } });
    } finally {
      await store.close();
    }
  });
});
