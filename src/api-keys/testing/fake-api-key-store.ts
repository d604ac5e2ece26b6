import type { EntityManager } from "typeorm";
import { ApiKey } from "../api-key.entity";
import type { ApiKeyStore } from "../api-key.store";
import { FakeTable, fakePage } from "../../db/testing/fake-table";
import { Principal, canSee } from "../../shared/principal";
import type { Connection, PageArgs } from "../../shared/pagination";

/** ApiKeyStore in memory. Row locks are not modelled: FakeDatabase runs transactions one at a time. */
export class FakeApiKeyStore implements ApiKeyStore {
  readonly table = new FakeTable<ApiKey>((key) => Object.assign(new ApiKey(), key));

  async countActive(_manager: EntityManager, accountId: string): Promise<number> {
    return this.table.count((k) => k.accountId === accountId && !k.revokedAt);
  }

  async insert(_manager: EntityManager, apiKey: ApiKey): Promise<ApiKey> {
    if (this.table.first((k) => k.id === apiKey.id || k.secretHash === apiKey.secretHash)) throw new Error("Duplicate entry for key 'UQ_api_keys_secret_hash'");
    this.table.put(apiKey);
    return Object.assign(new ApiKey(), apiKey);
  }

  async lockVisible(_manager: EntityManager, principal: Principal, apiKeyId: string): Promise<ApiKey | null> {
    const key = await this.findInAccount(principal.accountId, apiKeyId);
    return key && canSee(principal, { accountId: key.accountId, domainId: key.domainId }) ? key : null;
  }

  async save(_manager: EntityManager, apiKey: ApiKey): Promise<void> {
    this.table.put(apiKey);
  }

  async page(accountId: string, page: PageArgs): Promise<Connection<ApiKey>> {
    return fakePage(this.table.all((k) => k.accountId === accountId), page);
  }

  async findInAccount(accountId: string, apiKeyId: string): Promise<ApiKey | null> {
    return this.table.first((k) => k.id === apiKeyId && k.accountId === accountId);
  }

  async findBySecretHash(secretHash: string): Promise<ApiKey | null> {
    return this.table.first((k) => k.secretHash === secretHash);
  }

  async markUsed(_manager: EntityManager, apiKeyId: string, at: Date): Promise<void> {
    this.table.update((k) => k.id === apiKeyId, { lastUsedAt: at });
  }
}
