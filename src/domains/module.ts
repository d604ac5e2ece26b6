import type { Config } from "../shared/config";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import { defineModule } from "../graphql/feature-module";
import { principalOf } from "../graphql/context";
import type { DomainVerifier } from "../verification/types";
import type { AuditLog } from "../audit/audit-log";
import { domainAuditLogResolver } from "../audit/audit.resolver";
import type { Accounts } from "../accounts/accounts";
import { Domain } from "./domain.entity";
import { DomainNameGram } from "./name-gram.entity";
import { SqlDomainStore } from "./domain.store";
import { DomainService } from "./domain.service";
import { VerificationService } from "./verification.service";
import type { VerificationMetrics } from "./verification.metrics";
import { createDomainLoader } from "./domain.loaders";
import { AuditEntryDomainResolver, DomainResolver, ViewerDomainsResolver } from "./domain.resolver";

export interface DomainsDeps {
  config: Config;
  clock: Clock;
  db: Database;
  audit: AuditLog;
  verifier: DomainVerifier;
  accounts: Accounts;
  metrics: VerificationMetrics;
}

/** Made once: the schema and the container must see the same class. */
export const DomainAuditLogResolver = domainAuditLogResolver(Domain);

/** Claims, their lifecycle and their checks: the core of the service. */
export const domainsModule = defineModule({
  name: "domains",
  entities: [Domain, DomainNameGram],
  resolverClasses: [DomainResolver, ViewerDomainsResolver, AuditEntryDomainResolver, DomainAuditLogResolver],
  create: ({ config, clock, db, audit, verifier, metrics, accounts }: DomainsDeps) => {
    const domainStore = new SqlDomainStore(db, clock);
    const domains = new DomainService(domainStore, db, accounts, audit, clock, {
      maxPerAccount: config.domains.maxPerAccount,
      tokenTtlMs: config.domains.tokenTtlMs,
      schedule: config.domains,
    });
    const verification = new VerificationService(domainStore, db, audit, verifier, clock, {
      tokenTtlMs: config.domains.tokenTtlMs,
      cnameZone: config.dns.cnameZone,
      schedule: config.domains,
      tokenExpiryWarningMs: config.domains.tokenExpiryWarningMs,
      onCheckRecorded: (check) => metrics.verifications.inc({ outcome: check.outcome }),
    });
    return {
      provides: { domainStore, domains, verification },
      resolvers: [
        new DomainResolver(domains, verification, clock, config.dns.cnameZone, { issuers: config.persistIssuers, publicUrl: config.publicUrl }),
        new ViewerDomainsResolver(domains),
        new AuditEntryDomainResolver(),
        new DomainAuditLogResolver(),
      ],
      nodeFetchers: { Domain: (localId, ctx) => domains.findOwned(principalOf(ctx), localId) },
      loaders: (principal, batch) => ({ domainById: createDomainLoader(domains, principal, batch) }),
    };
  },
});
