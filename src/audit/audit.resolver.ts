import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from "type-graphql";
import { AuditEntry } from "./audit-entry.entity";
import { Actor, AuditAction } from "./audit.types";
import { AuditFilter, AuditLog } from "./audit-log";
import type { Principal } from "../shared/principal";
import { Domain } from "../domains/domain.entity";
import { VerificationCheck } from "../verification/verification-check.type";
import { RequestContext, principalOf } from "../graphql/context";
import { Connection, checkPageSize, connectionTypes, decodeCursor } from "../graphql/connection";
import { localIdOf, toGlobalId } from "../graphql/global-id";

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
  const scope = principal.scopedDomainId;
  const onlyDomain = scope ? (requested && requested !== scope ? MATCHES_NOTHING : scope) : requested;
  return { accountId: principal.accountId, domainId: onlyDomain, action: action ?? null };
}

@Resolver(() => AuditEntry)
export class AuditResolver {
  constructor(private readonly audit: AuditLog) {}

  @Query(() => AuditEntryConnection, { description: "The caller's account-wide audit log, newest first, removed domains included" })
  async auditLog(
    @Arg("first", () => Int, { nullable: true, defaultValue: 50, description: "Page size, 1 to 100" }) first: number,
    @Arg("after", () => String, { nullable: true, description: "Cursor to continue after" }) after: string | null,
    @Arg("domainId", () => ID, { nullable: true, description: "Only entries about this domain, even if it was removed" })
    domainId: string | null,
    @Arg("action", () => AuditAction, { nullable: true, description: "Only entries of this action" }) action: AuditAction | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Connection<AuditEntry>> {
    const page = { first: checkPageSize(first, 50), after: after ? decodeCursor(after) : null };
    return this.audit.list(auditFilterFor(principalOf(ctx), domainId, action), page);
  }

  @FieldResolver(() => ID, { description: "Opaque, globally unique; accepted by node(id:)" })
  id(@Root() entry: AuditEntry): string {
    return toGlobalId("AuditEntry", entry.id);
  }

  @FieldResolver(() => Actor, { description: "Who caused the action" })
  actor(@Root() entry: AuditEntry): Actor {
    return { type: entry.actorType, id: entry.actorId, email: entry.actorEmail };
  }

  @FieldResolver(() => Domain, { nullable: true, description: "The domain the entry is about; null once that domain has been removed" })
  async domain(@Root() entry: AuditEntry, @Ctx() ctx: RequestContext): Promise<Domain | null> {
    return entry.domainId ? ctx.loaders.domainById.load(entry.domainId) : null;
  }

  @FieldResolver(() => VerificationCheck, { nullable: true, description: "The verification result, for VERIFICATION_* entries" })
  check(@Root() entry: AuditEntry): VerificationCheck | null {
    return entry.check;
  }
}
