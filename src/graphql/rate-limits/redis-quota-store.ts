import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { Quota, QuotaStore, Reservation } from "./quota-store";

/*
 * A sliding-window log per key: a sorted set of call times. Redis runs a script alone, so
 * counting and recording cannot interleave with another instance's. Time is Redis's own,
 * so instances with skewed clocks still agree on the window.
 */
const NOW_MS = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const RESERVE = `${NOW_MS}
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, count}
end
return {0, count}`;

/* ARGV[3] calls at once, or none: members ARGV[4]:1 … ARGV[4]:n. */
const RESERVE_MANY = `${NOW_MS}
local window = tonumber(ARGV[1])
local calls = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count + calls <= tonumber(ARGV[2]) then
  for i = 1, calls do redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i) end
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, count}
end
return {0, count}`;

const UNTIL_SLOT_FREES = `${NOW_MS}
local window = tonumber(ARGV[1])
local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if #oldest == 0 then return 0 end
return tonumber(oldest[2]) + window - now`;

const COUNT = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return redis.call('ZCARD', KEYS[1])`;

interface QuotaScripts {
  dnsproofReserveMany(key: string, windowMs: number, max: number, calls: number, member: string): Promise<[number, number]>;
  dnsproofCount(key: string, windowMs: number): Promise<number>;
  dnsproofReserve(key: string, windowMs: number, max: number, member: string): Promise<[number, number]>;
  dnsproofUntilSlotFrees(key: string, windowMs: number): Promise<number>;
}

/** Counts shared by every instance that uses the same Redis and key prefix. */
export class RedisQuotaStore extends QuotaStore {
  private readonly redis: Redis & QuotaScripts;

  constructor(
    redis: Redis,
    quotas: Readonly<Record<string, Quota>>,
    private readonly keyPrefix: string,
  ) {
    super(quotas);
    redis.defineCommand("dnsproofReserve", { numberOfKeys: 1, lua: RESERVE });
    redis.defineCommand("dnsproofUntilSlotFrees", { numberOfKeys: 1, lua: UNTIL_SLOT_FREES });
    redis.defineCommand("dnsproofCount", { numberOfKeys: 1, lua: COUNT });
    redis.defineCommand("dnsproofReserveMany", { numberOfKeys: 1, lua: RESERVE_MANY });
    this.redis = redis as Redis & QuotaScripts;
  }

  async reserve(key: string, quota: Quota): Promise<Reservation> {
    // The member only has to be unique: two calls in one millisecond are two entries.
    const [recorded, counted] = await this.redis.dnsproofReserve(this.redisKey(key), quota.windowMs, quota.max, randomUUID());
    return { recorded: recorded === 1, counted };
  }

  protected async reserveMany(key: string, quota: Quota, calls: number): Promise<Reservation> {
    const [recorded, counted] = await this.redis.dnsproofReserveMany(this.redisKey(key), quota.windowMs, quota.max, calls, randomUUID());
    return { recorded: recorded === 1, counted };
  }

  protected async countInWindow(key: string, quota: Quota): Promise<number> {
    return Number(await this.redis.dnsproofCount(this.redisKey(key), quota.windowMs));
  }

  protected async untilSlotFrees(key: string, quota: Quota): Promise<number> {
    return Number(await this.redis.dnsproofUntilSlotFrees(this.redisKey(key), quota.windowMs));
  }

  async ping(timeoutMs = 1_000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.redis.ping().then((answer) => answer === "PONG", () => false), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    // quit() waits for a connection that may never come back; a Redis that is away is simply let go.
    if (this.redis.status === "ready") await this.redis.quit();
    else this.redis.disconnect();
  }

  private redisKey(key: string): string {
    return `${this.keyPrefix}ratelimit:${key}`;
  }
}
