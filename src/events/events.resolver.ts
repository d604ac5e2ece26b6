import { Arg, ID, Query, Resolver, registerEnumType } from "type-graphql";
import { AuditAction } from "../audit/audit.types";
import { AuditLog } from "../audit/audit-log";
import { AuditEntryConnection, auditFilterFor } from "../audit/audit.resolver";
import { Connection, DEFAULT_LOG_PAGE_SIZE } from "../shared/pagination";
import { ConnectionArgs } from "../graphql/connection";
import { CurrentPrincipal } from "../graphql/current-principal";
import type { Principal } from "../shared/principal";
import type { AuditEntry } from "../audit/audit-entry.entity";

export enum AuditOrder {
  NEWEST_FIRST = "NEWEST_FIRST",
  OLDEST_FIRST = "OLDEST_FIRST",
}

registerEnumType(AuditOrder, {
  name: "AuditOrder",
  description: "Which end of the audit log a page starts from",
  valuesConfig: {
    NEWEST_FIRST: { description: "Newest entries first, like auditLog" },
    OLDEST_FIRST: { description: "Oldest entries first: with after, everything written since a stored cursor" },
  },
});

/** The reconciliation feed: the audit log, oldest first by default, from any cursor a client kept. */
@Resolver()
export class EventsResolver {
  constructor(private readonly audit: AuditLog) {}

  @Query(() => AuditEntryConnection, {
    description: "The account-wide audit log with a choice of order; OLDEST_FIRST with after: is the reconciliation feed",
  })
  async events(
    @ConnectionArgs(DEFAULT_LOG_PAGE_SIZE, "Cursor to continue after: an endCursor or edge cursor of events, auditLog or a subscription's entry")
    args: ConnectionArgs,
    @Arg("domainId", () => ID, { nullable: true, description: "Only entries about this domain, even if it was removed" })
    domainId: string | null,
    @Arg("action", () => AuditAction, { nullable: true, description: "Only entries of this action" }) action: AuditAction | null,
    @Arg("order", () => AuditOrder, { nullable: true, defaultValue: AuditOrder.OLDEST_FIRST, description: "Oldest or newest first" })
    order: AuditOrder,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Connection<AuditEntry>> {
    const page = args.toPage();
    return this.audit.list(auditFilterFor(principal, domainId, action), page, order === AuditOrder.OLDEST_FIRST ? "ASC" : "DESC");
  }
}
