import type { DataSource, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from "typeorm";
import type { AuditLog } from "../audit/audit-log";
import type { EventBus } from "./event-bus";

/**
 * Signals the bus when audit entries have committed, never before: a subscriber woken
 * earlier would read nothing and wait for the next signal. The audit listener notes whose
 * entries a transaction wrote; TypeORM's after-commit hook publishes them, a rollback drops them.
 */
export function signalCommittedEntries(dataSource: DataSource, audit: AuditLog, bus: EventBus): void {
  const pending = new WeakMap<QueryRunner, Set<string>>();
  audit.addListener(async (manager, entry) => {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) {
      // Written outside a transaction: committed already.
      bus.publish([entry.accountId]);
      return;
    }
    let accounts = pending.get(runner);
    if (!accounts) pending.set(runner, (accounts = new Set()));
    accounts.add(entry.accountId);
  });
  const subscriber: EntitySubscriberInterface = {
    afterTransactionCommit({ queryRunner }: TransactionCommitEvent) {
      // A released savepoint fires this too; only the outer COMMIT makes entries visible.
      if (queryRunner.isTransactionActive) return;
      const accounts = pending.get(queryRunner);
      if (!accounts) return;
      pending.delete(queryRunner);
      bus.publish(accounts);
    },
    afterTransactionRollback({ queryRunner }: TransactionRollbackEvent) {
      if (!queryRunner.isTransactionActive) pending.delete(queryRunner);
    },
  };
  dataSource.subscribers.push(subscriber);
}
