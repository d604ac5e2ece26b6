import os from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { WebhookDelivery, WebhookDeliveryStatus } from "./webhook-delivery.entity";
import type { WebhookService } from "./webhook.service";
import { webhookBody } from "./payload";
import { webhookHeaders } from "./signature";
import { PostOutcome, WebhookClientOptions, postWebhook } from "./http-client";
import { In, SelectQueryBuilder } from "typeorm";
import { AuditEntry } from "../audit/audit-entry.entity";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import { forEachConcurrently } from "../shared/concurrency";

export interface DeliveryWorkerOptions extends WebhookClientOptions {
  /** POSTs in flight at once (WEBHOOK_CONCURRENCY). */
  concurrency: number;
  /** Deliveries leased per round. */
  batchSize: number;
  /** How often an idle worker looks for due retries; commit signals wake it at once. */
  pollMs: number;
  logger: Logger;
  /** Sees every attempt (metrics, the benchmark). */
  onAttempt?: (delivery: WebhookDelivery, outcome: PostOutcome) => void;
  /** The HTTP client; tests never swap it, the benchmark neither. */
  post?: typeof postWebhook;
}

/**
 * Sends due deliveries. Any number of instances run one against the same database: a
 * round leases deliveries (FOR UPDATE SKIP LOCKED on MySQL, then a lease written into the
 * rows), so no delivery is POSTed by two workers at once; a crashed worker's lease runs
 * out and another takes the delivery again. At least once: a POST whose answer was lost is sent again.
 */
export class DeliveryWorker {
  /** Names this process in leaseOwner; a restarted process never mistakes an old lease for its own. */
  private readonly instance = `${os.hostname().slice(0, 24)}-${process.pid}-${randomBytes(3).toString("hex")}`;
  private leases = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private started = false;
  private halting = false;

  constructor(
    private readonly db: Database,
    private readonly webhooks: WebhookService,
    private readonly clock: Clock,
    private readonly options: DeliveryWorkerOptions,
  ) {}

  /** Long enough for a whole round of POSTs that all run into the timeout. */
  get leaseMs(): number {
    return Math.ceil(this.options.batchSize / this.options.concurrency) * (this.options.timeoutMs + 1000) + 30_000;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.halting = false;
    this.wake();
  }

  /** Called on every commit signal: work now (or right after the round in hand). */
  wake(): void {
    if (!this.started || this.halting) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.drain()
      .catch((error) => this.options.logger.error({ err: error }, "webhook delivery round failed"))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        } else if (this.started && !this.halting) {
          this.timer = setTimeout(() => this.wake(), this.options.pollMs);
          this.timer.unref();
        }
      });
  }

  /** Takes no further round and resolves once the POSTs in hand are recorded. */
  async stop(): Promise<void> {
    this.started = false;
    this.halting = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Sends what is due until nothing is; tests call it to drive the worker by hand. */
  async runOnce(): Promise<number> {
    let sent = 0;
    while (!this.halting) {
      const { lease, deliveries } = await this.take();
      if (deliveries.length === 0) break;
      await this.send(lease, deliveries);
      sent += deliveries.length;
      if (deliveries.length < this.options.batchSize) break;
    }
    return sent;
  }

  private async drain(): Promise<void> {
    await this.runOnce();
  }

  private async take(): Promise<{ lease: string; deliveries: WebhookDelivery[] }> {
    const lease = `${this.instance}-${++this.leases}`;
    const due = (qb: SelectQueryBuilder<WebhookDelivery>, now: Date) =>
      qb
        .where("d.status = :pending AND d.nextAttemptAt <= :now", { pending: WebhookDeliveryStatus.PENDING, now })
        .andWhere("(d.leaseExpiresAt IS NULL OR d.leaseExpiresAt <= :now)", { now });
    // Idle polls stay one plain read: no transaction and no row locks until something is due.
    if (!(await due(this.db.manager.createQueryBuilder(WebhookDelivery, "d"), this.clock.now()).getExists())) return { lease, deliveries: [] };
    const deliveries = await this.db.transaction(async (manager) => {
      const now = this.clock.now();
      const qb = due(manager.createQueryBuilder(WebhookDelivery, "d"), now)
        .orderBy("d.nextAttemptAt", "ASC")
        .addOrderBy("d.id", "ASC")
        .limit(this.options.batchSize);
      if (this.db.kind === "mysql") qb.setLock("pessimistic_write").setOnLocked("skip_locked");
      const rows = await qb.getMany();
      if (rows.length === 0) return rows;
      const leaseExpiresAt = new Date(now.getTime() + this.leaseMs);
      await manager.createQueryBuilder().update(WebhookDelivery).set({ leaseOwner: lease, leaseExpiresAt }).whereInIds(rows.map((r) => r.id)).execute();
      return rows;
    }, "READ COMMITTED");
    return { lease, deliveries };
  }

  private async send(lease: string, deliveries: WebhookDelivery[]): Promise<void> {
    const endpoints = new Map((await this.webhooks.endpointsByIds([...new Set(deliveries.map((d) => d.endpointId))])).map((e) => [e.id, e]));
    const entries = new Map(
      (await this.db.manager.findBy(AuditEntry, { id: In([...new Set(deliveries.map((d) => d.entryId))]) })).map((e) => [e.id, e]),
    );
    const post = this.options.post ?? postWebhook;
    await forEachConcurrently(deliveries, this.options.concurrency, async (delivery) => {
      try {
        const endpoint = endpoints.get(delivery.endpointId);
        const entry = entries.get(delivery.entryId);
        if (!endpoint || !endpoint.enabled || !entry) {
          await this.webhooks.releaseParked(delivery.id, lease);
          return;
        }
        const body = webhookBody(entry);
        const attemptedAt = this.clock.now();
        const headers = webhookHeaders(this.webhooks.signingSecrets(endpoint), delivery.messageId, Math.floor(attemptedAt.getTime() / 1000), body);
        const outcome = await post(endpoint.url, headers, body, this.options);
        this.options.onAttempt?.(delivery, outcome);
        await this.webhooks.recordAttempt(delivery, lease, outcome, attemptedAt);
      } catch (error) {
        // The lease runs out and a later round tries again.
        this.options.logger.error({ err: error, deliveryId: delivery.id }, "webhook delivery failed to record");
      }
    });
  }
}
