import { EntityManager, IsNull } from "typeorm";
import { ApiKey } from "./api-key.entity";
import type { Database } from "../db/database";
import { paginate } from "../db/pagination";
import { lockVisible } from "../accounts/owned-rows";
import type { Principal } from "../shared/principal";
import type { Connection, PageArgs } from "../shared/pagination";

/** Every query about API keys. Methods taking a manager run in the caller's transaction; the others run on their own. */
export interface ApiKeyStore {
  /** Keys of the account not revoked. */
  countActive(manager: EntityManager, accountId: string): Promise<number>;
  insert(manager: EntityManager, apiKey: ApiKey): Promise<ApiKey>;
  /** The principal's key, locked; null for a missing id, another account's and one the principal may not see alike. */
  lockVisible(manager: EntityManager, principal: Principal, apiKeyId: string): Promise<ApiKey | null>;
  save(manager: EntityManager, apiKey: ApiKey): Promise<void>;
  /** The account's keys in (createdAt, id) order, newest first. */
  page(accountId: string, page: PageArgs): Promise<Connection<ApiKey>>;
  findInAccount(accountId: string, apiKeyId: string): Promise<ApiKey | null>;
  findBySecretHash(secretHash: string): Promise<ApiKey | null>;
  markUsed(manager: EntityManager, apiKeyId: string, at: Date): Promise<void>;
}

export class SqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Database) {}

  countActive(manager: EntityManager, accountId: string): Promise<number> {
    return manager.countBy(ApiKey, { accountId, revokedAt: IsNull() });
  }

  async insert(manager: EntityManager, apiKey: ApiKey): Promise<ApiKey> {
    const row = manager.create(ApiKey, apiKey);
    await manager.insert(ApiKey, row);
    return row;
  }

  lockVisible(manager: EntityManager, principal: Principal, apiKeyId: string): Promise<ApiKey | null> {
    return lockVisible(this.db, manager, ApiKey, principal, apiKeyId, (key) => key.domainId);
  }

  async save(manager: EntityManager, apiKey: ApiKey): Promise<void> {
    await manager.save(apiKey);
  }

  page(accountId: string, page: PageArgs): Promise<Connection<ApiKey>> {
    const query = () => this.db.manager.createQueryBuilder(ApiKey, "k").where("k.accountId = :accountId", { accountId });
    return paginate(query, "k", page);
  }

  findInAccount(accountId: string, apiKeyId: string): Promise<ApiKey | null> {
    return this.db.manager.findOneBy(ApiKey, { id: apiKeyId, accountId });
  }

  findBySecretHash(secretHash: string): Promise<ApiKey | null> {
    return this.db.manager.findOneBy(ApiKey, { secretHash });
  }

  async markUsed(manager: EntityManager, apiKeyId: string, at: Date): Promise<void> {
    await manager.update(ApiKey, { id: apiKeyId }, { lastUsedAt: at });
  }
}
