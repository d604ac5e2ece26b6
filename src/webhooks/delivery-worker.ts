import type { Logger } from "pino";
import type { WebhookDelivery } from "./webhook-delivery.entity";
import type { WebhookService } from "./webhook.service";
import { webhookBody } from "./payload";
import { webhookHeaders } from "./signature";
import { PostOutcome, WebhookClientOptions, postWebhook } from "./http-client";
import { In } from "typeorm";
import { AuditEntry } from "../audit/audit-entry.entity";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import type { WebhookEndpoint } from "./webhook-endpoint.entity";
import { InFlight, RoundRobin, ShareLimits, planTakes } from "./fair-share";
import type { DeliveryStore } from "./delivery.store";
import { leaseOutlasting } from "../db/lease";
import { WorkerLoop } from "../db/worker-loop";

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
 * refill leases deliveries (db/lease.ts), so no delivery is POSTed by two workers at once;
 * a crashed worker's lease runs out and another takes the delivery again. At least once: a
 * POST whose answer was lost is sent again. Only what can start at once is leased, shared
 * between accounts as fair-share.ts decides, and every attempt that ends makes room for the
 * next. A job on the worker loop: commit signals and finished attempts wake it at once.
 */
export class DeliveryWorker {
  private readonly loop: WorkerLoop;
  private readonly inFlight = new InFlight(() => this.wake());
  private readonly turns = new RoundRobin();
  /** Refills run one at a time: each plans against the attempts the previous one started. */
  private refillQueue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly deliveries: DeliveryStore,
    private readonly webhooks: WebhookService,
    private readonly clock: Clock,
    private readonly options: DeliveryWorkerOptions,
  ) {
    this.loop = new WorkerLoop(
      {
        pass: () => this.refillWhileRoom(),
        settle: async () => {
          await this.refillQueue;
          await this.inFlight.allSettled();
        },
      },
      { intervalMs: options.pollMs, onError: (error) => options.logger.error({ err: error }, "webhook delivery refill failed") },
    );
  }

  /** A leased delivery's POST starts at once, so the lease need only outlast one attempt. */
  get leaseMs(): number {
    return leaseOutlasting(this.options.timeoutMs);
  }

  private get limits(): ShareLimits {
    return { concurrency: this.options.concurrency, perAccount: this.options.concurrencyPerAccount, perEndpoint: this.options.concurrencyPerEndpoint };
  }

  start(): void {
    this.loop.start();
  }

  /** Called on every commit signal and whenever an attempt ends: fill the free places now (or right after the refill in hand). */
  wake(): void {
    this.loop.wake();
  }

  /** Leases nothing more and resolves once the POSTs in hand are recorded. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Sends what is due until nothing is, and waits for every attempt; tests call it to drive the worker by hand. */
  runOnce(): Promise<number> {
    return this.loop.track(this.sendUntilIdle());
  }

  private async sendUntilIdle(): Promise<number> {
    let sent = 0;
    while (!this.loop.halting) {
      const started = await this.refill();
      sent += started;
      if (started === 0 && this.inFlight.size === 0) break;
      if (started === 0) await this.inFlight.anySettled();
    }
    await this.inFlight.allSettled();
    return sent;
  }

  private async refillWhileRoom(): Promise<void> {
    while (!this.loop.halting && this.inFlight.size < this.options.concurrency && (await this.refill()) > 0);
  }

  /** Leases what may start now and starts it; how many started. */
  private refill(): Promise<number> {
    const run = this.refillQueue.then(() => this.refillOnce());
    this.refillQueue = run.catch(() => undefined);
    return run;
  }

  private async refillOnce(): Promise<number> {
    if (this.loop.halting || this.inFlight.size >= this.options.concurrency) return 0;
    const due = await this.deliveries.dueGroups(this.inFlight.full(this.limits), DUE_GROUPS_READ);
    const plan = planTakes(due, this.inFlight, this.limits, (accountId) => this.turns.lastServed(accountId));
    if (plan.length === 0) return 0;
    const { lease, deliveries } = await this.deliveries.lease(plan, this.leaseMs);
    if (deliveries.length === 0) return 0;
    this.turns.served(plan.map((take) => take.accountId));
    await this.launch(lease, deliveries);
    return deliveries.length;
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
