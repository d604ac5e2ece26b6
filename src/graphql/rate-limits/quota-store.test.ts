import { MemoryQuotaStore } from "./memory-quota-store";
import { allowed, limiterOn, quotas } from "./testing";

describe("MemoryQuotaStore", () => {
  it("says when a window is full without recording a call", async () => {
    const store = new MemoryQuotaStore(quotas(2));
    const who = { contextIdentity: "ip:1", fieldIdentity: "calls" };
    expect(await store.isFull(who)).toBe(false);
    expect([await store.record(who), await store.record(who), await store.record(who)]).toEqual([true, true, false]);
    expect(await store.isFull(who)).toBe(true);
  });

  it("records several calls at once only when all of them fit", async () => {
    const store = new MemoryQuotaStore(quotas(5));
    const who = { contextIdentity: "acct", fieldIdentity: "calls" };
    expect((await store.recordAll(who, 6)).recorded).toBe(false);
    expect(await store.isFull(who)).toBe(false);
    expect((await store.recordAll(who, 3)).recorded).toBe(true);
    expect((await store.recordAll(who, 3)).recorded).toBe(false);
    expect(await Promise.all([store.recordAll(who, 2), store.recordAll(who, 2)]).then((r) => r.map((x) => x.recorded).sort())).toEqual([false, true]);
    expect(await store.isFull(who)).toBe(true);
  });

  it("lets exactly max of many simultaneous calls through", async () => {
    const store = new MemoryQuotaStore(quotas(7));
    const limiter = limiterOn(store);
    const results = await Promise.all(Array.from({ length: 100 }, () => allowed(limiter, "a", 7)));
    expect(results.filter(Boolean)).toHaveLength(7);
    expect(await allowed(limiter, "b", 7)).toBe(true);
  });

  it("frees a slot when the oldest call leaves the window, and says when", async () => {
    const store = new MemoryQuotaStore(quotas(2, 300));
    expect((await store.reserve("k:calls", store.quotaOf("calls"))).recorded).toBe(true);
    expect((await store.reserve("k:calls", store.quotaOf("calls"))).recorded).toBe(true);
    expect(await store.reserve("k:calls", store.quotaOf("calls"))).toEqual({ recorded: false, counted: 2 });
    const wait = await store.retryAfterMs({ contextIdentity: "k", fieldIdentity: "calls" });
    expect(wait).toBeGreaterThan(200);
    expect(wait).toBeLessThanOrEqual(300);
    await new Promise((resolve) => setTimeout(resolve, wait + 10));
    expect((await store.reserve("k:calls", store.quotaOf("calls"))).recorded).toBe(true);
  });
});

