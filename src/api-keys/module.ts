import type { Config } from "../shared/config";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import { defineModule } from "../graphql/feature-module";
import { principalOf } from "../graphql/context";
import type { AuditLog } from "../audit/audit-log";
import type { DomainService } from "../domains/domain.service";
import type { Accounts } from "../accounts/accounts";
import { ApiKey } from "./api-key.entity";
import { ApiKeyService } from "./api-key.service";
import { SqlApiKeyStore } from "./api-key.store";
import { ApiKeyResolver } from "./api-key.resolver";
import { apiKeyStrategy } from "./api-key.strategy";

export interface ApiKeysDeps {
  config: Config;
  clock: Clock;
  db: Database;
  audit: AuditLog;
  domains: DomainService;
  accounts: Accounts;
}

/** The service over the database, its rules set from the configuration. */
export function createApiKeyService({ config, clock, db, audit, domains, accounts }: ApiKeysDeps): ApiKeyService {
  return new ApiKeyService(new SqlApiKeyStore(db), db, domains, accounts, audit, clock, {
    allowAdminKeys: config.auth.adminAllowApiKeys,
    adminUserIds: config.auth.adminUserIds,
    adminEmails: config.auth.adminEmails,
    adminSecretConfigured: Boolean(config.auth.adminSecret),
    maxActivePerAccount: config.apiKeys.maxPerAccount,
  });
}

/** Long-lived keys for machines, optionally scoped to one verified domain. */
export const apiKeysModule = defineModule({
  name: "api-keys",
  entities: [ApiKey],
  resolverClasses: [ApiKeyResolver],
  create: (deps: ApiKeysDeps) => {
    const { clock } = deps;
    const apiKeys = createApiKeyService(deps);
    return {
      provides: { apiKeys },
      resolvers: [new ApiKeyResolver(apiKeys, clock)],
      nodeFetchers: { ApiKey: (localId, ctx) => apiKeys.findOwned(principalOf(ctx), localId) },
      bearerStrategies: [apiKeyStrategy(apiKeys)],
    };
  },
});
