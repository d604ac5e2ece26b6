import type { EntityManager } from "typeorm";
import { WebhookEndpoint } from "../webhook-endpoint.entity";
import { WebhookDelivery, WebhookDeliveryStatus } from "../webhook-delivery.entity";
import type { WebhookEndpointStore } from "../webhook-endpoint.store";
import type { AtCapacity, AttemptColumns, DeliveryStore } from "../delivery.store";
import type { DueGroup, Take } from "../fair-share";
import { newLease } from "../../db/lease";
import { FakeTable, fakePage } from "../../db/testing/fake-table";
import type { Clock } from "../../shared/clock";
import { Principal, canSee } from "../../shared/principal";
import type { Connection, PageArgs } from "../../shared/pagination";

/** WebhookEndpointStore in memory. Row locks are not modelled: FakeDatabase runs transactions one at a time. */
export class FakeWebhookEndpointStore implements WebhookEndpointStore {
  readonly table = new FakeTable<WebhookEndpoint>((e) => Object.assign(new WebhookEndpoint(), e, { actions: [...e.actions] }));

  async enabledOfAccounts(_manager: EntityManager, accountIds: readonly string[]): Promise<WebhookEndpoint[]> {
    return this.table.all((e) => accountIds.includes(e.accountId) && e.enabled);
  }

  async countOfAccount(_manager: EntityManager, accountId: string): Promise<number> {
    return this.table.count((e) => e.accountId === accountId);
  }

  async insert(_manager: EntityManager, endpoint: WebhookEndpoint): Promise<WebhookEndpoint> {
    this.table.put(endpoint);
    return this.table.get(endpoint.id)!;
  }

  async lockVisible(_manager: EntityManager, principal: Principal, endpointId: string): Promise<WebhookEndpoint | null> {
    const endpoint = await this.findInAccount(principal.accountId, endpointId);
    return endpoint && canSee(principal, endpoint) ? endpoint : null;
  }

  async lockById(_manager: EntityManager, endpointId: string): Promise<WebhookEndpoint | null> {
    return this.table.first((e) => e.id === endpointId);
  }

  async save(_manager: EntityManager, endpoint: WebhookEndpoint): Promise<void> {
    this.table.put(endpoint);
  }

  async delete(_manager: EntityManager, endpointId: string): Promise<void> {
    this.table.delete((e) => e.id === endpointId);
  }

  async markAnswering(_manager: EntityManager, endpointId: string): Promise<void> {
    this.table.update((e) => e.id === endpointId && e.failingSince !== null, { failingSince: null });
  }

  async markFailing(_manager: EntityManager, endpointId: string, failingSince: Date): Promise<void> {
    this.table.update((e) => e.id === endpointId, { failingSince });
  }

  async page(accountId: string, domainId: string | null, page: PageArgs): Promise<Connection<WebhookEndpoint>> {
    return fakePage(this.table.all((e) => e.accountId === accountId && (!domainId || e.domainId === domainId)), page);
  }

  async findInAccount(accountId: string, endpointId: string): Promise<WebhookEndpoint | null> {
    return this.table.first((e) => e.id === endpointId && e.accountId === accountId);
  }

  async findByIds(ids: readonly string[]): Promise<WebhookEndpoint[]> {
    return this.table.all((e) => ids.includes(e.id));
  }
}

/** DeliveryStore in memory; a lease is held until given up or until it expires by the clock. */
export class FakeDeliveryStore implements DeliveryStore {
  readonly table = new FakeTable<WebhookDelivery>((d) => Object.assign(new WebhookDelivery(), d, { attemptLog: d.attemptLog.map((a) => ({ ...a })) }));

  constructor(private readonly clock: Clock) {}

  private due(d: WebhookDelivery, now: number): boolean {
    const free = !d.leaseExpiresAt || d.leaseExpiresAt.getTime() <= now;
    return free && d.status === WebhookDeliveryStatus.PENDING && d.nextAttemptAt !== null && d.nextAttemptAt.getTime() <= now;
  }

  async dueGroups(full: AtCapacity, limit: number): Promise<DueGroup[]> {
    const now = this.clock.now().getTime();
    const groups = new Map<string, DueGroup & { oldest: number }>();
    for (const d of this.table.all((d) => this.due(d, now) && !full.accounts.includes(d.accountId) && !full.endpoints.includes(d.endpointId))) {
      const group = groups.get(d.endpointId) ?? { accountId: d.accountId, endpointId: d.endpointId, due: 0, oldest: Infinity };
      groups.set(d.endpointId, { ...group, due: group.due + 1, oldest: Math.min(group.oldest, d.nextAttemptAt!.getTime()) });
    }
    return [...groups.values()]
      .sort((a, b) => a.oldest - b.oldest)
      .slice(0, limit)
      .map(({ accountId, endpointId, due }) => ({ accountId, endpointId, due }));
  }

  async lease(plan: Take[], leaseMs: number): Promise<{ lease: string; deliveries: WebhookDelivery[] }> {
    const lease = newLease();
    const now = this.clock.now().getTime();
    const leased = { leaseOwner: lease, leaseExpiresAt: new Date(now + leaseMs) };
    const deliveries = plan.flatMap(({ endpointId, count }) =>
      this.table
        .all((d) => d.endpointId === endpointId && this.due(d, now))
        .sort((a, b) => a.nextAttemptAt!.getTime() - b.nextAttemptAt!.getTime() || (a.id < b.id ? -1 : 1))
        .slice(0, count),
    );
    for (const d of deliveries) this.table.update((row) => row.id === d.id, leased);
    return { lease, deliveries: deliveries.map((d) => Object.assign(d, leased)) };
  }

  async recordAttempt(_manager: EntityManager, deliveryId: string, lease: string, columns: AttemptColumns): Promise<boolean> {
    return this.release(deliveryId, lease, columns);
  }

  async releaseParked(deliveryId: string, lease: string): Promise<void> {
    this.release(deliveryId, lease, { nextAttemptAt: null });
  }

  private release(deliveryId: string, lease: string, changes: Partial<WebhookDelivery>): boolean {
    return this.table.update((d) => d.id === deliveryId && d.leaseOwner === lease, { ...changes, leaseOwner: null, leaseExpiresAt: null }) > 0;
  }

  async parkPending(_manager: EntityManager, endpointId: string): Promise<void> {
    this.table.update((d) => d.endpointId === endpointId && d.status === WebhookDeliveryStatus.PENDING, { nextAttemptAt: null });
  }

  async resumeParked(_manager: EntityManager, endpointId: string, at: Date): Promise<void> {
    this.table.update((d) => d.endpointId === endpointId && d.status === WebhookDeliveryStatus.PENDING && d.nextAttemptAt === null, { nextAttemptAt: at });
  }

  async insert(_manager: EntityManager, deliveries: WebhookDelivery[]): Promise<void> {
    for (const delivery of deliveries) this.table.put(delivery);
  }

  async lockInAccount(_manager: EntityManager, accountId: string, deliveryId: string): Promise<WebhookDelivery | null> {
    return this.findInAccount(accountId, deliveryId);
  }

  async save(_manager: EntityManager, delivery: WebhookDelivery): Promise<void> {
    this.table.put(delivery);
  }

  async deleteOfEndpoint(_manager: EntityManager, endpointId: string): Promise<void> {
    this.table.delete((d) => d.endpointId === endpointId);
  }

  async page(endpointId: string, status: WebhookDeliveryStatus | null, page: PageArgs): Promise<Connection<WebhookDelivery>> {
    return fakePage(this.table.all((d) => d.endpointId === endpointId && (!status || d.status === status)), page);
  }

  async findInAccount(accountId: string, deliveryId: string): Promise<WebhookDelivery | null> {
    return this.table.first((d) => d.id === deliveryId && d.accountId === accountId);
  }
}
