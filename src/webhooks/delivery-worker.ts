import os from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { WebhookDelivery, WebhookDeliveryStatus } from "./webhook-delivery.entity";
import type { WebhookService } from "./webhook.service";
import { webhookBody } from "./payload";
import { webhookHeaders } from "./signature";
import { PostOutcome, WebhookClientOptions, postWebhook } from "./http-client";
import { In, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { AuditEntry } from "../audit/audit-entry.entity";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import type { WebhookEndpoint } from "./webhook-endpoint.entity";
import { DueGroup, InFlight, RoundRobin, ShareLimits, Take, planTakes } from "./fair-share";

export interface DeliveryWorkerOptions extends WebhookClientOptions {
  /** POSTs in flight at once (WEBHOOK_CONCURRENCY). */
  concurrency: number;
  /** One account's POSTs in flight at once (WEBHOOK_CONCURRENCY_PER_ACCOUNT). */
  concurrencyPerAccount: number;
  /** One endpoint's POSTs in flight at once (WEBHOOK_CONCURRENCY_PER_ENDPOINT). */
  concurrencyPerEndpoint: number;
  /** How often an idle worker looks for due retries; commit signals and finished attempts wake it at once. */
  pollMs: number;
  logger: Logger;
  /** Sees every attempt (metrics, the benchmark). */
  onAttempt?: (delivery: WebhookDelivery, outcome: PostOutcome) => void;
  /** The HTTP client; tests never swap it, the benchmark neither. */
  post?: typeof postWebhook;
}

/** Endpoints with due deliveries read per refill, oldest first; accounts and endpoints at their cap are left out of it. */
const DUE_GROUPS_READ = 500;

/**
 * Sends due deliveries. Any number of instances run one against the same database: each
 * refill leases deliveries (FOR UPDATE SKIP LOCKED on MySQL, then a lease written into the
 * rows), so no delivery is POSTed by two workers at once; a crashed worker's lease runs
 * out and another takes the delivery again. At least once: a POST whose answer was lost is
 * sent again. Only what can start at once is leased, shared between accounts as
 * fair-share.ts decides, and every attempt that ends makes room for the next.
 */
export class DeliveryWorker {
  /** Names this process in leaseOwner; a restarted process never mistakes an old lease for its own. */
  private readonly instance = `${os.hostname().slice(0, 24)}-${process.pid}-${randomBytes(3).toString("hex")}`;
  private leases = 0;
  private timer: NodeJS.Timeout | null = null;
  private refilling: Promise<void> | null = null;
  private again = false;
  private started = false;
  private halting = false;
  private readonly inFlight = new InFlight(() => this.wake());
  private readonly turns = new RoundRobin();
  /** Refills run one at a time: each plans against the attempts the previous one started. */
  private refillQueue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly webhooks: WebhookService,
    private readonly clock: Clock,
    private readonly options: DeliveryWorkerOptions,
  ) {}

  /** A leased delivery's POST starts at once, so the lease need only outlast one attempt, with room for the database. */
  get leaseMs(): number {
    return this.options.timeoutMs + 30_000;
  }

  private get limits(): ShareLimits {
    return { concurrency: this.options.concurrency, perAccount: this.options.concurrencyPerAccount, perEndpoint: this.options.concurrencyPerEndpoint };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.halting = false;
    this.wake();
  }

  /** Called on every commit signal and whenever an attempt ends: fill the free places now (or right after the refill in hand). */
  wake(): void {
    if (!this.started || this.halting) return;
    if (this.refilling) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.refilling = this.refillWhileRoom()
      .catch((error) => this.options.logger.error({ err: error }, "webhook delivery refill failed"))
      .finally(() => {
        this.refilling = null;
        if (this.again) {
          this.again = false;
          this.wake();
        } else if (this.started && !this.halting) {
          this.timer = setTimeout(() => this.wake(), this.options.pollMs);
          this.timer.unref();
        }
      });
  }

  /** Leases nothing more and resolves once the POSTs in hand are recorded. */
  async stop(): Promise<void> {
    this.started = false;
    this.halting = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.refilling;
    await this.refillQueue;
    await this.inFlight.allSettled();
  }

  /** Sends what is due until nothing is, and waits for every attempt; tests call it to drive the worker by hand. */
  async runOnce(): Promise<number> {
    let sent = 0;
    while (!this.halting) {
      const started = await this.refill();
      sent += started;
      if (started === 0 && this.inFlight.size === 0) break;
      if (started === 0) await this.inFlight.anySettled();
    }
    await this.inFlight.allSettled();
    return sent;
  }

  private async refillWhileRoom(): Promise<void> {
    while (!this.halting && this.inFlight.size < this.options.concurrency && (await this.refill()) > 0);
  }

  /** Leases what may start now and starts it; how many started. */
  private refill(): Promise<number> {
    const run = this.refillQueue.then(() => this.refillOnce());
    this.refillQueue = run.catch(() => undefined);
    return run;
  }

  private async refillOnce(): Promise<number> {
    if (this.halting || this.inFlight.size >= this.options.concurrency) return 0;
    const plan = planTakes(await this.dueGroups(), this.inFlight, this.limits, (accountId) => this.turns.lastServed(accountId));
    if (plan.length === 0) return 0;
    const { lease, deliveries } = await this.take(plan);
    if (deliveries.length === 0) return 0;
    this.turns.served(plan.map((take) => take.accountId));
    await this.launch(lease, deliveries);
    return deliveries.length;
  }

  private due<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, now: Date): SelectQueryBuilder<T> {
    return qb
      .where("d.status = :pending AND d.nextAttemptAt <= :now", { pending: WebhookDeliveryStatus.PENDING, now })
      .andWhere("(d.leaseExpiresAt IS NULL OR d.leaseExpiresAt <= :now)", { now });
  }

  /** Endpoints with due deliveries, oldest first: one plain read, no transaction and no row locks (idle polls are this alone). */
  private async dueGroups(): Promise<DueGroup[]> {
    const full = this.inFlight.full(this.limits);
    const qb = this.due(this.db.manager.createQueryBuilder(WebhookDelivery, "d"), this.clock.now())
      .select("d.accountId", "accountId")
      .addSelect("d.endpointId", "endpointId")
      .addSelect("COUNT(*)", "due")
      .groupBy("d.accountId")
      .addGroupBy("d.endpointId")
      .orderBy("MIN(d.nextAttemptAt)", "ASC")
      .limit(DUE_GROUPS_READ);
    if (full.accounts.length) qb.andWhere("d.accountId NOT IN (:...fullAccounts)", { fullAccounts: full.accounts });
    if (full.endpoints.length) qb.andWhere("d.endpointId NOT IN (:...fullEndpoints)", { fullEndpoints: full.endpoints });
    const rows: { accountId: string; endpointId: string; due: number | string }[] = await qb.getRawMany();
    return rows.map((row) => ({ accountId: row.accountId, endpointId: row.endpointId, due: Number(row.due) }));
  }

  /** Leases the planned deliveries: each endpoint's oldest due ones, skipping what another instance holds. */
  private async take(plan: Take[]): Promise<{ lease: string; deliveries: WebhookDelivery[] }> {
    const lease = `${this.instance}-${++this.leases}`;
    const deliveries = await this.db.transaction(async (manager) => {
      const now = this.clock.now();
      const rows: WebhookDelivery[] = [];
      for (const { endpointId, count } of plan) {
        const qb = this.due(manager.createQueryBuilder(WebhookDelivery, "d"), now)
          .andWhere("d.endpointId = :endpointId", { endpointId })
          .orderBy("d.nextAttemptAt", "ASC")
          .addOrderBy("d.id", "ASC")
          .limit(count);
        if (this.db.kind === "mysql") qb.setLock("pessimistic_write").setOnLocked("skip_locked");
        rows.push(...(await qb.getMany()));
      }
      if (rows.length === 0) return rows;
      const leaseExpiresAt = new Date(now.getTime() + this.leaseMs);
      await manager.createQueryBuilder().update(WebhookDelivery).set({ leaseOwner: lease, leaseExpiresAt }).whereInIds(rows.map((r) => r.id)).execute();
      return rows;
    }, "READ COMMITTED");
    return { lease, deliveries };
  }

  /** Reads what the POSTs need and starts them, each counted in flight until recorded; waits for none of them. */
  private async launch(lease: string, deliveries: WebhookDelivery[]): Promise<void> {
    let endpoints: Map<string, WebhookEndpoint>;
    let entries: Map<string, AuditEntry>;
    try {
      endpoints = new Map((await this.webhooks.endpointsByIds([...new Set(deliveries.map((d) => d.endpointId))])).map((e) => [e.id, e]));
      entries = new Map((await this.db.manager.findBy(AuditEntry, { id: In([...new Set(deliveries.map((d) => d.entryId))]) })).map((e) => [e.id, e]));
    } catch (error) {
      // The leases run out and a later refill tries again.
      this.options.logger.error({ err: error }, "webhook deliveries could not be read for sending");
      return;
    }
    for (const delivery of deliveries) {
      this.inFlight.run(delivery, () => this.attempt(lease, delivery, endpoints.get(delivery.endpointId), entries.get(delivery.entryId)));
    }
  }

  private async attempt(lease: string, delivery: WebhookDelivery, endpoint: WebhookEndpoint | undefined, entry: AuditEntry | undefined): Promise<void> {
    try {
      if (!endpoint || !endpoint.enabled || !entry) {
        await this.webhooks.releaseParked(delivery.id, lease);
        return;
      }
      const body = webhookBody(entry);
      const attemptedAt = this.clock.now();
      const headers = webhookHeaders(this.webhooks.signingSecrets(endpoint), delivery.messageId, Math.floor(attemptedAt.getTime() / 1000), body);
      const outcome = await (this.options.post ?? postWebhook)(endpoint.url, headers, body, this.options);
      this.options.onAttempt?.(delivery, outcome);
      await this.webhooks.recordAttempt(delivery, lease, outcome, attemptedAt);
    } catch (error) {
      // The lease runs out and a later refill tries again.
      this.options.logger.error({ err: error, deliveryId: delivery.id }, "webhook delivery failed to record");
    }
  }
}
