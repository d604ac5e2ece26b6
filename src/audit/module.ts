import { defineModule } from "../graphql/feature-module";
import { principalOf } from "../graphql/context";
import type { AuditLog } from "./audit-log";
import { AuditEntry } from "./audit-entry.entity";
import { AuditResolver } from "./audit.resolver";

export interface AuditDeps {
  audit: AuditLog;
}

/**
 * The audit log's API. The log itself is made by the composition root before any module:
 * every feature records into it.
 */
export const auditModule = defineModule({
  name: "audit",
  entities: [AuditEntry],
  resolverClasses: [AuditResolver],
  create: ({ audit }: AuditDeps) => ({
    provides: {},
    resolvers: [new AuditResolver(audit)],
    nodeFetchers: { AuditEntry: (localId, ctx) => audit.findOwned(principalOf(ctx), localId) },
    loaders: (_principal, batch) => ({ audit: audit.createLoaders(batch) }),
  }),
});
