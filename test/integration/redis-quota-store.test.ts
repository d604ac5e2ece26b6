import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { RedisQuotaStore } from "../../src/graphql/rate-limits/redis-quota-store";
import type { Quota } from "../../src/graphql/rate-limits/quota-store";
import { allowed, limiterOn, quotas } from "../../src/graphql/rate-limits/testing";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

describe("RedisQuotaStore", () => {
  const clients: Redis[] = [];
  let prefix: string;
  const storeFor = (q: Record<string, Quota>) => {
    const redis = new Redis(REDIS_URL);
    clients.push(redis);
    return new RedisQuotaStore(redis, q, prefix);
  };

  beforeEach(() => {
    prefix = `dnsproof-test:${randomBytes(6).toString("hex")}:`;
  });

  it("says when a window is full without recording a call", async () => {
    const store = storeFor(quotas(2));
    const who = { contextIdentity: "ip:1", fieldIdentity: "calls" };
    expect(await store.isFull(who)).toBe(false);
    expect([await store.record(who), await store.record(who), await store.record(who)]).toEqual([true, true, false]);
    expect(await store.isFull(who)).toBe(true);
  });

  it("records several calls at once only when all of them fit", async () => {
    const store = storeFor(quotas(5));
    const who = { contextIdentity: "acct", fieldIdentity: "calls" };
    expect((await store.recordAll(who, 6)).recorded).toBe(false);
    expect(await store.isFull(who)).toBe(false);
    expect((await store.recordAll(who, 3)).recorded).toBe(true);
    expect((await store.recordAll(who, 3)).recorded).toBe(false);
    expect(await Promise.all([store.recordAll(who, 2), store.recordAll(who, 2)]).then((r) => r.map((x) => x.recorded).sort())).toEqual([false, true]);
    expect(await store.isFull(who)).toBe(true);
  });
  afterEach(async () => {
    const cleaner = new Redis(REDIS_URL);
    const keys = await cleaner.keys(`${prefix}*`);
    if (keys.length) await cleaner.del(...keys);
    await cleaner.quit();
    await Promise.all(clients.splice(0).map((c) => c.quit()));
  });

  it("lets exactly max through when two instances are hit at the same instant", async () => {
    const limiters = [limiterOn(storeFor(quotas(10))), limiterOn(storeFor(quotas(10)))];
    for (let round = 0; round < 5; round++) {
      const identity = `account-${round}`;
      const results = await Promise.all(Array.from({ length: 120 }, (_, i) => allowed(limiters[i % 2], identity, 10)));
      expect(results.filter(Boolean)).toHaveLength(10);
    }
  });

  it("frees a slot when the oldest call leaves the window, by Redis's clock, and says when", async () => {
    const store = storeFor(quotas(1, 300));
    const quota = store.quotaOf("calls");
    expect(await store.reserve("k:calls", quota)).toEqual({ recorded: true, counted: 0 });
    expect(await store.reserve("k:calls", quota)).toEqual({ recorded: false, counted: 1 });
    const wait = await store.retryAfterMs({ contextIdentity: "k", fieldIdentity: "calls" });
    expect(wait).toBeGreaterThan(200);
    expect(wait).toBeLessThanOrEqual(300);
    await new Promise((resolve) => setTimeout(resolve, wait + 10));
    expect((await store.reserve("k:calls", quota)).recorded).toBe(true);
  });

  it("keeps its keys under the prefix, expiring with the window", async () => {
    const store = storeFor(quotas(3, 5_000));
    await store.reserve("account:x:calls", store.quotaOf("calls"));
    const redis = clients[0];
    const keys = await redis.keys(`${prefix}*`);
    expect(keys).toEqual([`${prefix}ratelimit:account:x:calls`]);
    const ttl = await redis.pttl(keys[0]);
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
  });
});
