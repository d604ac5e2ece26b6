import { EventEmitter } from "node:events";
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * Someone's audit entries committed: subscribers and the webhook worker read what is new from
 * the database. `origin` says whether the commit was this process's or came through Redis.
 */
export type EntriesCommitted = (accountId: string, origin: "local" | "remote") => void;

/** The account a signal names while Redis is away: every listener re-reads, as a poll. */
export const ALL_ACCOUNTS = "*";

/** How often Redis is asked whether it answers, and listeners polled while it does not. */
const HEALTH_MS = 1000;

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
  private health: NodeJS.Timeout | null = null;
  private degraded = false;

  constructor(options: { redisUrl?: string; keyPrefix: string; logger: Logger; commandTimeoutMs?: number; onDegraded?: (degraded: boolean) => void }) {
    this.channel = `${options.keyPrefix}events`;
    if (!options.redisUrl) return;
    // Required only with REDIS_URL, as the rate limits do: a start without it reads none of ioredis.
    const { Redis: RedisClient } = require("ioredis") as typeof import("ioredis");
    // Bounded, queued ones too: a publish that cannot go out is a lost signal, which the polls make up for.
    this.publisher = new RedisClient(options.redisUrl, {
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: options.commandTimeoutMs ?? 1000,
    });
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
    this.health = setInterval(() => void this.checkRedis(options), HEALTH_MS);
    this.health.unref();
  }

  /** Whether signals from other instances may be missed right now (Redis slow or away): listeners are then polled. */
  get isDegraded(): boolean {
    return this.degraded;
  }

  /**
   * While Redis does not answer, other instances' commits wake nobody here: every listener is
   * woken each second instead, and reads what is new from the database as it would on a signal.
   */
  private async checkRedis(options: { logger: Logger; onDegraded?: (degraded: boolean) => void }): Promise<void> {
    const answers = this.subscriber?.status === "ready" && (await this.publisher!.ping().then((pong) => pong === "PONG", () => false));
    if (!answers) this.emitter.emit("entries", ALL_ACCOUNTS, "remote");
    if (answers === !this.degraded) return;
    this.degraded = !answers;
    options.onDegraded?.(this.degraded);
    if (this.degraded) options.logger.warn("Redis is slow or away: subscriptions and webhook workers poll the database every second until it answers");
    else options.logger.info("Redis answers again: subscriptions are woken by commit signals again");
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
    if (this.health) clearInterval(this.health);
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
