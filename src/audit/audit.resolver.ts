import { Arg, ClassType, Ctx, FieldResolver, ID, Query, Resolver, Root } from "type-graphql";
import { AuditEntry } from "./audit-entry.entity";
import { AuditAction } from "./audit.types";
import { AuditFilter, AuditLog } from "./audit-log";
import { Principal, listScope } from "../shared/principal";
import { VerificationCheck } from "../verification/verification-check.type";
import type { RequestContext } from "../graphql/context";
import { ConnectionArgs, connectionTypes } from "../graphql/connection";
import { Connection, DEFAULT_LOG_PAGE_SIZE, DEFAULT_PAGE_SIZE } from "../shared/pagination";
import { localIdOf, toGlobalId } from "../graphql/global-id";
import { CurrentPrincipal } from "../graphql/current-principal";

export const { EdgeType: AuditEntryEdge, ConnectionType: AuditEntryConnection } = connectionTypes(
  AuditEntry,
  "AuditEntry",
  "audit entry",
);

const MATCHES_NOTHING = "00000000-0000-0000-0000-000000000000";

/**
 * What a caller may read of the log: its account's entries, only its domain's for a scoped
 * API key. An id of another node type, or outside the key's scope, matches nothing rather than everything.
 */
export function auditFilterFor(principal: Principal, domainId: string | null | undefined, action?: AuditAction | null): AuditFilter {
  const requested = domainId ? (localIdOf(domainId, "Domain", "domainId") ?? MATCHES_NOTHING) : null;
  const scope = listScope(principal, requested);
  return { accountId: principal.accountId, domainId: scope === "none" ? MATCHES_NOTHING : scope, action: action ?? null };
}

@Resolver(() => AuditEntry)
export class AuditResolver {
  constructor(private readonly audit: AuditLog) {}

  @Query(() => AuditEntryConnection, { description: "The caller's account-wide audit log, newest first, removed domains included" })
  async auditLog(
    @ConnectionArgs(DEFAULT_LOG_PAGE_SIZE) args: ConnectionArgs,
    @Arg("domainId", () => ID, { nullable: true, description: "Only entries about this domain, even if it was removed" })
    domainId: string | null,
    @Arg("action", () => AuditAction, { nullable: true, description: "Only entries of this action" }) action: AuditAction | null,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Connection<AuditEntry>> {
    const page = args.toPage();
    return this.audit.list(auditFilterFor(principal, domainId, action), page);
  }

  @FieldResolver(() => ID, { description: "Opaque, globally unique; accepted by node(id:)" })
  id(@Root() entry: AuditEntry): string {
    return toGlobalId("AuditEntry", entry.id);
  }

  @FieldResolver(() => VerificationCheck, { nullable: true, description: "The verification result, for VERIFICATION_* entries" })
  check(@Root() entry: AuditEntry): VerificationCheck | null {
    return entry.check;
  }
}

/**
 * `auditLog` on the type whose rows own entries by id (Domain). The field lives here, beside the
 * log it pages; the composition root names the type it extends, as Hive's modules `extend type`
 * one another, so the audit log imports no feature.
 */
export function domainAuditLogResolver(domainType: ClassType<{ id: string }>) {
  @Resolver(() => domainType)
  class DomainAuditLogResolver {
    @FieldResolver(() => AuditEntryConnection, { description: "This domain's audit entries, newest first" })
    async auditLog(
      @Root() domain: { id: string },
      @ConnectionArgs(DEFAULT_PAGE_SIZE) page: ConnectionArgs,
      @Ctx() ctx: RequestContext,
    ): Promise<Connection<AuditEntry>> {
      return ctx.loaders.audit.domainAuditLog(domain.id, page.toPage());
    }
  }
  return DomainAuditLogResolver;
}
