import { EntityManager, In, IsNull, Not } from "typeorm";
import { WebhookEndpoint } from "./webhook-endpoint.entity";
import type { Database } from "../db/database";
import { paginate } from "../db/pagination";
import { RowReader, rowReader } from "../db/row-reader";
import { lockVisible } from "../accounts/owned-rows";
import type { Principal } from "../shared/principal";
import type { Connection, PageArgs } from "../shared/pagination";

/** Every query about webhook endpoints. Methods taking a manager run in the caller's transaction; the others run on their own. */
export interface WebhookEndpointStore {
  /** The accounts' enabled endpoints: what every batch of audit entries asks, inside its transaction. */
  enabledOfAccounts(manager: EntityManager, accountIds: readonly string[]): Promise<WebhookEndpoint[]>;
  countOfAccount(manager: EntityManager, accountId: string): Promise<number>;
  insert(manager: EntityManager, endpoint: WebhookEndpoint): Promise<WebhookEndpoint>;
  /** The principal's endpoint, locked; null for a missing id, another account's and one outside the principal's scope alike. */
  lockVisible(manager: EntityManager, principal: Principal, endpointId: string): Promise<WebhookEndpoint | null>;
  lockById(manager: EntityManager, endpointId: string): Promise<WebhookEndpoint | null>;
  save(manager: EntityManager, endpoint: WebhookEndpoint): Promise<void>;
  delete(manager: EntityManager, endpointId: string): Promise<void>;
  /** The endpoint answered: no longer failing (no write when it was not). */
  markAnswering(manager: EntityManager, endpointId: string): Promise<void>;
  markFailing(manager: EntityManager, endpointId: string, failingSince: Date): Promise<void>;
  /** The account's endpoints (of one domain when `domainId` is given) in (createdAt, id) order, newest first. */
  page(accountId: string, domainId: string | null, page: PageArgs): Promise<Connection<WebhookEndpoint>>;
  findInAccount(accountId: string, endpointId: string): Promise<WebhookEndpoint | null>;
  findByIds(ids: readonly string[]): Promise<WebhookEndpoint[]>;
}

export class SqlWebhookEndpointStore implements WebhookEndpointStore {
  private endpointReader?: RowReader<WebhookEndpoint>;
  private enabledEndpointsSql?: { ofOne: string; ofMany: string };

  constructor(private readonly db: Database) {}

  /**
   * Every audited change asks this inside its transaction, so it is one raw statement read
   * through the entity's metadata rather than TypeORM's find, which costs more than the query.
   * A batch's entries ask once for all their accounts; a single change sends `accountId = ?`.
   */
  async enabledOfAccounts(manager: EntityManager, accountIds: readonly string[]): Promise<WebhookEndpoint[]> {
    if (accountIds.length === 0) return [];
    const { driver } = this.db.dataSource;
    const reader = (this.endpointReader ??= rowReader(this.db.dataSource, WebhookEndpoint));
    const table = driver.escape(this.db.dataSource.getMetadata(WebhookEndpoint).tablePath);
    const sql = (this.enabledEndpointsSql ??= {
      ofOne: `SELECT ${reader.columns} FROM ${table} WHERE ${driver.escape("accountId")} = ? AND ${driver.escape("enabled")} = 1`,
      ofMany: `SELECT ${reader.columns} FROM ${table} WHERE ${driver.escape("enabled")} = 1 AND ${driver.escape("accountId")} IN `,
    });
    const rows: Record<string, unknown>[] = await manager.query(
      accountIds.length === 1 ? sql.ofOne : `${sql.ofMany}(${accountIds.map(() => "?").join(", ")})`,
      [...accountIds],
    );
    return rows.map((row) => reader.read(row));
  }

  countOfAccount(manager: EntityManager, accountId: string): Promise<number> {
    return manager.countBy(WebhookEndpoint, { accountId });
  }

  async insert(manager: EntityManager, endpoint: WebhookEndpoint): Promise<WebhookEndpoint> {
    const row = manager.create(WebhookEndpoint, endpoint);
    await manager.insert(WebhookEndpoint, row);
    return row;
  }

  lockVisible(manager: EntityManager, principal: Principal, endpointId: string): Promise<WebhookEndpoint | null> {
    return lockVisible(this.db, manager, WebhookEndpoint, principal, endpointId, (endpoint) => endpoint.domainId);
  }

  lockById(manager: EntityManager, endpointId: string): Promise<WebhookEndpoint | null> {
    return this.db.forUpdate(manager.createQueryBuilder(WebhookEndpoint, "e").where("e.id = :id", { id: endpointId })).getOne();
  }

  async save(manager: EntityManager, endpoint: WebhookEndpoint): Promise<void> {
    await manager.save(endpoint);
  }

  async delete(manager: EntityManager, endpointId: string): Promise<void> {
    await manager.delete(WebhookEndpoint, { id: endpointId });
  }

  async markAnswering(manager: EntityManager, endpointId: string): Promise<void> {
    await manager.update(WebhookEndpoint, { id: endpointId, failingSince: Not(IsNull()) }, { failingSince: null });
  }

  async markFailing(manager: EntityManager, endpointId: string, failingSince: Date): Promise<void> {
    await manager.update(WebhookEndpoint, { id: endpointId }, { failingSince });
  }

  page(accountId: string, domainId: string | null, page: PageArgs): Promise<Connection<WebhookEndpoint>> {
    return paginate(() => {
      const qb = this.db.manager.createQueryBuilder(WebhookEndpoint, "e").where("e.accountId = :accountId", { accountId });
      if (domainId) qb.andWhere("e.domainId = :scope", { scope: domainId });
      return qb;
    }, "e", page);
  }

  findInAccount(accountId: string, endpointId: string): Promise<WebhookEndpoint | null> {
    return this.db.manager.findOneBy(WebhookEndpoint, { id: endpointId, accountId });
  }

  async findByIds(ids: readonly string[]): Promise<WebhookEndpoint[]> {
    return ids.length ? this.db.manager.findBy(WebhookEndpoint, { id: In([...ids]) }) : [];
  }
}
