import type { AuditLog } from "../audit/audit-log";
import type { Database } from "../db/database";
import type { EventBus } from "./event-bus";

/**
 * Signals the bus when audit entries have committed, never before: a subscriber woken
 * earlier would read nothing and wait for the next signal. Each account whose entries a
 * transaction wrote is signalled once, after its COMMIT; a rollback signals nothing.
 */
export function signalCommittedEntries(db: Database, audit: AuditLog, bus: EventBus): void {
  audit.addListener(async (manager, entry) => {
    db.afterCommit(manager, `entries:${entry.accountId}`, () => bus.publish([entry.accountId]));
  });
}
