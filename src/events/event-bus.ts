import { EventEmitter } from "node:events";
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * Someone's audit entries committed: subscribers and the webhook worker read what is new from
 * the database. `origin` says whether the commit was this process's or came through Redis.
 */
export type EntriesCommitted = (accountId: string, origin: "local" | "remote") => void;

/**
 * The wake-up signal behind subscriptions and webhook deliveries. It carries no entries,
 * only whose: the database stays the truth, so a lost signal only delays (the worker also
 * polls, subscribers re-read after their cursor). With REDIS_URL the signal reaches every
 * instance through pub/sub; without it, this process only.
 */
export class EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly instance = randomBytes(6).toString("hex");
  private publisher: Redis | null = null;
  private subscriber: Redis | null = null;
  private readonly channel: string;

  constructor(options: { redisUrl?: string; keyPrefix: string; logger: Logger }) {
    this.channel = `${options.keyPrefix}events`;
    if (!options.redisUrl) return;
    // Required only with REDIS_URL, as the rate limits do: a start without it reads none of ioredis.
    const { Redis: RedisClient } = require("ioredis") as typeof import("ioredis");
    this.publisher = new RedisClient(options.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    this.subscriber = new RedisClient(options.redisUrl, { connectTimeout: 2_000 });
    let lastLogged = 0;
    const warn = (err: unknown) => {
      if (Date.now() - lastLogged < 10_000) return;
      lastLogged = Date.now();
      options.logger.warn({ err }, "redis connection problem (events)");
    };
    this.publisher.on("error", warn);
    this.subscriber.on("error", warn);
    void this.subscriber.subscribe(this.channel).catch(warn);
    this.subscriber.on("message", (_channel: string, message: string) => {
      const separator = message.indexOf(" ");
      // Our own messages were already emitted locally when published.
      if (separator < 0 || message.slice(0, separator) === this.instance) return;
      this.emitter.emit("entries", message.slice(separator + 1), "remote");
    });
  }

  /** Resolves once this instance listens on Redis (at once without it), so a test can publish knowing it is heard. */
  async ready(): Promise<void> {
    const subscriber = this.subscriber;
    if (!subscriber) return;
    // subscribe() resolves when Redis confirms; a second call for the same channel is idempotent.
    await subscriber.subscribe(this.channel);
  }

  publish(accountIds: Iterable<string>): void {
    for (const accountId of new Set(accountIds)) {
      this.emitter.emit("entries", accountId, "local");
      this.publisher?.publish(this.channel, `${this.instance} ${accountId}`).catch(() => undefined);
    }
  }

  /** Calls `listener` for every commit signal; returns the function that stops it. */
  subscribe(listener: EntriesCommitted): () => void {
    this.emitter.on("entries", listener);
    return () => this.emitter.off("entries", listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
    // quit() waits for a connection that may never come back (and keeps the process alive meanwhile): a Redis that is away is let go.
    const close = async (redis: Redis | null) => {
      if (!redis) return;
      if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    };
    await Promise.all([close(this.publisher), close(this.subscriber)]);
  }
}
