import { EntityManager, IsNull } from "typeorm";
import { WebhookDelivery, WebhookDeliveryStatus } from "./webhook-delivery.entity";
import type { DueGroup, Take } from "./fair-share";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import { paginate } from "../db/pagination";
import { RowCondition, RowLeases, aliased as c, newLease } from "../db/lease";
import { lockInAccount } from "../accounts/owned-rows";
import type { Connection, PageArgs } from "../shared/pagination";

/** A delivery that may be tried now, once nobody leases it. */
const DUE: RowCondition = {
  sql: (c) => `${c("status")} = :pending AND ${c("nextAttemptAt")} <= :now`,
  params: { pending: WebhookDeliveryStatus.PENDING },
};

/** Deliveries per INSERT, so a large batch of entries does not make one statement of unbounded size. */
const DELIVERIES_PER_INSERT = 500;

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
 * Every query about deliveries: which are due, leasing them, giving a lease up with what became
 * of the attempt, and what the service asks of them. Methods taking a manager run in the
 * caller's transaction; the others run on their own.
 */
export interface DeliveryStore {
  /** Endpoints with due deliveries that nobody leases, oldest first, leaving out those at capacity. */
  dueGroups(full: AtCapacity, limit: number): Promise<DueGroup[]>;
  /** Leases the planned deliveries under a new lease: each endpoint's oldest due ones that nobody holds. */
  lease(plan: Take[], leaseMs: number): Promise<{ lease: string; deliveries: WebhookDelivery[] }>;
  /** Writes an attempt into its delivery and gives the lease up; false when the lease was lost (nothing written). */
  recordAttempt(manager: EntityManager, deliveryId: string, lease: string, columns: AttemptColumns): Promise<boolean>;
  /** Gives up a leased delivery of a disabled or deleted endpoint, parked until the endpoint is enabled again. */
  releaseParked(deliveryId: string, lease: string): Promise<void>;
  /** Parks every pending delivery of an endpoint being disabled: none is tried until it is enabled again. */
  parkPending(manager: EntityManager, endpointId: string): Promise<void>;
  /** Makes the parked pending deliveries of an endpoint being enabled again due at `at`. */
  resumeParked(manager: EntityManager, endpointId: string, at: Date): Promise<void>;
  insert(manager: EntityManager, deliveries: WebhookDelivery[]): Promise<void>;
  /** The account's delivery, locked. */
  lockInAccount(manager: EntityManager, accountId: string, deliveryId: string): Promise<WebhookDelivery | null>;
  save(manager: EntityManager, delivery: WebhookDelivery): Promise<void>;
  deleteOfEndpoint(manager: EntityManager, endpointId: string): Promise<void>;
  /** The endpoint's deliveries (in one status when given) in (createdAt, id) order, newest first. */
  page(endpointId: string, status: WebhookDeliveryStatus | null, page: PageArgs): Promise<Connection<WebhookDelivery>>;
  findInAccount(accountId: string, deliveryId: string): Promise<WebhookDelivery | null>;
}

/** The deliveries' SQL; leases are taken and given up as db/lease.ts does it for every leased table. */
export class SqlDeliveryStore implements DeliveryStore {
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

  async resumeParked(manager: EntityManager, endpointId: string, at: Date): Promise<void> {
    await manager.update(WebhookDelivery, { endpointId, status: WebhookDeliveryStatus.PENDING, nextAttemptAt: IsNull() }, { nextAttemptAt: at });
  }

  /** One multi-row INSERT per DELIVERIES_PER_INSERT rows: a batch of entries writes its deliveries together. */
  async insert(manager: EntityManager, deliveries: WebhookDelivery[]): Promise<void> {
    for (let i = 0; i < deliveries.length; i += DELIVERIES_PER_INSERT) {
      await manager.insert(WebhookDelivery, deliveries.slice(i, i + DELIVERIES_PER_INSERT).map((delivery) => manager.create(WebhookDelivery, delivery)));
    }
  }

  lockInAccount(manager: EntityManager, accountId: string, deliveryId: string): Promise<WebhookDelivery | null> {
    return lockInAccount(this.db, manager, WebhookDelivery, accountId, deliveryId);
  }

  async save(manager: EntityManager, delivery: WebhookDelivery): Promise<void> {
    await manager.save(delivery);
  }

  async deleteOfEndpoint(manager: EntityManager, endpointId: string): Promise<void> {
    await manager.delete(WebhookDelivery, { endpointId });
  }

  page(endpointId: string, status: WebhookDeliveryStatus | null, page: PageArgs): Promise<Connection<WebhookDelivery>> {
    return paginate(() => {
      const qb = this.db.manager.createQueryBuilder(WebhookDelivery, "d").where("d.endpointId = :endpointId", { endpointId });
      if (status) qb.andWhere("d.status = :status", { status });
      return qb;
    }, "d", page);
  }

  findInAccount(accountId: string, deliveryId: string): Promise<WebhookDelivery | null> {
    return this.db.manager.findOneBy(WebhookDelivery, { id: deliveryId, accountId });
  }
}
