import type { AuditEntry } from "../audit/audit-entry.entity";
import { toGlobalId } from "../graphql/global-id";

/**
 * The body of a delivery: `{type, timestamp, data}` with the entry as data, ids global
 * like the API's, so a receiver can look the same entry up in events or node(id:).
 */
export function webhookBody(entry: AuditEntry): string {
  return JSON.stringify({
    type: entry.action,
    timestamp: entry.createdAt.toISOString(),
    data: {
      id: toGlobalId("AuditEntry", entry.id),
      action: entry.action,
      accountId: entry.accountId,
      domainId: entry.domainId ? toGlobalId("Domain", entry.domainId) : null,
      domainName: entry.domainName,
      previousStatus: entry.previousStatus,
      newStatus: entry.newStatus,
      reason: entry.reason,
      graceEndsAt: entry.graceEndsAt?.toISOString() ?? null,
      actor: { type: entry.actorType, id: entry.actorId, email: entry.actorEmail },
      message: entry.message,
      check: entry.check,
      requestId: entry.requestId,
      createdAt: entry.createdAt.toISOString(),
    },
  });
}
