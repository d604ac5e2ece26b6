/**
 * How far a rate limit can be exceeded when two instances are hit at the same instant.
 *
 *   npm run bench:rate-limit            (needs Redis at REDIS_URL, default redis://127.0.0.1:6379)
 *
 * 1. Store level: two "instances" (each its own ioredis client and graphql-rate-limit limiter)
 *    take `CALLS` calls for one account, half each, against a quota of `MAX`: all at once
 *    ("burst"), or each instance one call after another while the other does the same
 *    ("paced"); graphql-rate-limit's own RedisStore (get, then set) against dnsproof's
 *    RedisQuotaStore. Also one instance taking a burst with the in-process stores (what a
 *    batched request does).
 * 2. End to end: two dnsproof servers on loopback sharing one Redis and one database take
 *    `CALLS` simultaneous verifyDomain requests over HTTP, half each.
 * Everything talks to 127.0.0.1 only, and every round uses a fresh key prefix.
 */
import "reflect-metadata";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { Redis } from "ioredis";
import { getGraphQLRateLimiter, InMemoryStore, RedisStore, Store } from "graphql-rate-limit";
import type { GraphQLResolveInfo } from "graphql";
import { RedisQuotaStore } from "../../src/graphql/rate-limits/redis-quota-store";
import { MemoryQuotaStore } from "../../src/graphql/rate-limits/memory-quota-store";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/shared/config";
import { mintToken } from "../../src/auth/dev-credentials";
import { toGlobalId } from "../../src/graphql/global-id";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const MAX = 10;
const CALLS = 100;
const ROUNDS = Number(process.env.ROUNDS ?? 20);

interface Figures {
  allowed: number[];
}

function summary(name: string, { allowed }: Figures): string {
  const over = allowed.map((n) => n - MAX);
  const mean = over.reduce((a, b) => a + b, 0) / over.length;
  return `${name.padEnd(42)} allowed per round min ${Math.min(...allowed)} max ${Math.max(...allowed)}; overshoot mean ${mean.toFixed(1)}, worst ${Math.max(...over)} (${((Math.max(...over) / MAX) * 100).toFixed(0)}% over), rounds over the limit ${over.filter((o) => o > 0).length}/${over.length}`;
}

const info = { fieldName: "verifications" } as GraphQLResolveInfo;
type Limiter = ReturnType<typeof getGraphQLRateLimiter>;
const call = (limiter: Limiter) => limiter({ parent: null, args: {}, context: {}, info }, { max: MAX, window: "60s" }).then((r) => r === undefined);

async function storeLevel(makeStore: (redis: Redis) => Store, mode: "burst" | "paced"): Promise<Figures> {
  const allowed: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const prefix = `dnsproof-bench:${randomBytes(6).toString("hex")}:`;
    const clients = [new Redis(REDIS_URL, { keyPrefix: prefix }), new Redis(REDIS_URL, { keyPrefix: prefix })];
    await Promise.all(clients.map((c) => c.ping()));
    const limiters = clients.map((redis) => getGraphQLRateLimiter({ identifyContext: () => "account:bench", store: makeStore(redis) }));
    let results: boolean[];
    if (mode === "burst") {
      results = await Promise.all(Array.from({ length: CALLS }, (_, i) => call(limiters[i % 2])));
    } else {
      const oneAfterAnother = async (limiter: Limiter) => {
        const mine: boolean[] = [];
        for (let i = 0; i < CALLS / 2; i++) mine.push(await call(limiter));
        return mine;
      };
      results = (await Promise.all(limiters.map(oneAfterAnother))).flat();
    }
    allowed.push(results.filter(Boolean).length);
    const keys = await clients[0].keys("*");
    for (const key of keys) await clients[0].del(key.slice(prefix.length));
    await Promise.all(clients.map((c) => c.quit()));
  }
  return { allowed };
}

async function oneInstanceBurst(makeStore: () => Store): Promise<Figures> {
  const allowed: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const limiter = getGraphQLRateLimiter({ identifyContext: () => "account:bench", store: makeStore() });
    allowed.push((await Promise.all(Array.from({ length: CALLS }, () => call(limiter)))).filter(Boolean).length);
  }
  return { allowed };
}

async function endToEnd(): Promise<Figures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-bench-"));
  const secret = randomBytes(24).toString("hex");
  const allowed: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const prefix = `dnsproof-bench:${randomBytes(6).toString("hex")}:`;
      const config = loadConfig({
        NODE_ENV: "test",
        DATABASE_URL: `sqlite://${path.join(dir, "bench.sqlite")}`,
        JWT_SECRET: secret,
        REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        RATE_LIMIT_VERIFY_PER_MINUTE: String(MAX),
        DNS_SERVERS: "127.0.0.1:9",
      });
      const apps = [];
      for (let i = 0; i < 2; i++) apps.push(await createApp(config, { logger: pino({ level: "silent" }) }));
      const urls = await Promise.all(apps.map((app) => app.listen(0, "127.0.0.1")));
      const token = await mintToken(secret, { sub: `bench-${round}` });
      const missing = toGlobalId("Domain", "00000000-0000-7000-8000-000000000000");
      const body = JSON.stringify({ query: `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`, variables: { id: missing } });
      const statuses = await Promise.all(
        Array.from({ length: CALLS }, (_, i) =>
          fetch(`${urls[i % 2]}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body }).then((r) => r.status),
        ),
      );
      allowed.push(statuses.filter((s) => s === 200).length);
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
      await Promise.all(apps.map((app) => app.close()));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { allowed };
}

async function main(): Promise<void> {
  console.log(`quota ${MAX} a minute; ${CALLS} calls for one account per round (half to each instance where there are two); ${ROUNDS} rounds\n`);
  const quotas = { verifications: { max: MAX, windowMs: 60_000 } };
  const library = (redis: Redis) => new RedisStore(redis);
  const ours = (redis: Redis) => new RedisQuotaStore(redis, quotas, "");
  console.log(summary("two instances, burst: RedisStore", await storeLevel(library, "burst")));
  console.log(summary("two instances, burst: RedisQuotaStore", await storeLevel(ours, "burst")));
  console.log(summary("two instances, paced: RedisStore", await storeLevel(library, "paced")));
  console.log(summary("two instances, paced: RedisQuotaStore", await storeLevel(ours, "paced")));
  console.log(summary("one instance, burst: InMemoryStore", await oneInstanceBurst(() => new InMemoryStore())));
  console.log(summary("one instance, burst: MemoryQuotaStore", await oneInstanceBurst(() => new MemoryQuotaStore(quotas))));
  console.log(summary("two dnsproof servers over HTTP, one Redis", await endToEnd()));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
