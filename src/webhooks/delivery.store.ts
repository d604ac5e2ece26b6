import type { EntityManager } from "typeorm";
import { WebhookDelivery, WebhookDeliveryStatus } from "./webhook-delivery.entity";
import type { DueGroup, Take } from "./fair-share";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import { RowCondition, RowLeases, aliased as c, newLease } from "../db/lease";

/** A delivery that may be tried now, once nobody leases it. */
const DUE: RowCondition = {
  sql: (c) => `${c("status")} = :pending AND ${c("nextAttemptAt")} <= :now`,
  params: { pending: WebhookDeliveryStatus.PENDING },
};

/** Accounts and endpoints whose POSTs in flight are at their cap: no delivery of theirs may start now. */
export interface AtCapacity {
  accounts: string[];
  endpoints: string[];
}

/** What an attempt writes into its delivery; the lease is given up with it. */
export type AttemptColumns = Pick<
  WebhookDelivery,
  "status" | "attempts" | "attemptLog" | "lastAttemptAt" | "lastResponseStatus" | "lastError" | "nextAttemptAt"
> &
  Partial<Pick<WebhookDelivery, "deliveredAt">>;

/**
 * The deliveries' lease SQL: which are due, leasing them as db/lease.ts does for every
 * leased table, and giving a lease up with what became of the attempt.
 */
export class DeliveryStore {
  private readonly leases: RowLeases<WebhookDelivery>;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.leases = new RowLeases(db, clock, WebhookDelivery);
  }

  /** Endpoints with due deliveries, oldest first: one plain read, no transaction and no row locks (idle polls are this alone). */
  async dueGroups(full: AtCapacity, limit: number): Promise<DueGroup[]> {
    const qb = this.leases
      .available(this.db.manager, DUE, this.clock.now())
      .select(c("accountId"), "accountId")
      .addSelect(c("endpointId"), "endpointId")
      .addSelect("COUNT(*)", "due")
      .groupBy(c("accountId"))
      .addGroupBy(c("endpointId"))
      .orderBy(`MIN(${c("nextAttemptAt")})`, "ASC")
      .limit(limit);
    if (full.accounts.length) qb.andWhere(`${c("accountId")} NOT IN (:...fullAccounts)`, { fullAccounts: full.accounts });
    if (full.endpoints.length) qb.andWhere(`${c("endpointId")} NOT IN (:...fullEndpoints)`, { fullEndpoints: full.endpoints });
    const rows: { accountId: string; endpointId: string; due: number | string }[] = await qb.getRawMany();
    return rows.map((row) => ({ accountId: row.accountId, endpointId: row.endpointId, due: Number(row.due) }));
  }

  /** Leases the planned deliveries under a new lease: each endpoint's oldest due ones that nobody holds. */
  async lease(plan: Take[], leaseMs: number): Promise<{ lease: string; deliveries: WebhookDelivery[] }> {
    const lease = newLease();
    const deliveries = await this.leases.claim({
      lease,
      leaseMs,
      wanted: DUE,
      picks: plan.map(({ endpointId, count }) => (qb, c) =>
        qb.andWhere(`${c("endpointId")} = :endpointId`, { endpointId }).orderBy(c("nextAttemptAt"), "ASC").addOrderBy(c("id"), "ASC").limit(count),
      ),
    });
    return { lease, deliveries };
  }

  /** Writes an attempt into its delivery and gives the lease up, in `manager`'s transaction; false when the lease was lost (nothing written). */
  recordAttempt(manager: EntityManager, deliveryId: string, lease: string, columns: AttemptColumns): Promise<boolean> {
    return this.leases.release(manager, deliveryId, lease, columns);
  }

  /** Gives up a leased delivery of a disabled or deleted endpoint, parked until the endpoint is enabled again. */
  async releaseParked(deliveryId: string, lease: string): Promise<void> {
    await this.leases.release(this.db.manager, deliveryId, lease, { nextAttemptAt: null });
  }

  /** Parks every pending delivery of an endpoint being disabled: none is tried until it is enabled again. */
  async parkPending(manager: EntityManager, endpointId: string): Promise<void> {
    await manager.update(WebhookDelivery, { endpointId, status: WebhookDeliveryStatus.PENDING }, { nextAttemptAt: null });
  }
}
