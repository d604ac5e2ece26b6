import type { EntityManager } from "typeorm";
import type { AccountStore } from "../account.store";

/** AccountStore in memory: a set of account ids, and a log of what was asked of it. */
export class FakeAccountStore implements AccountStore {
  readonly ids = new Set<string>();
  /** Every lock asked for, in order, and whether it found a row. */
  readonly locks: Array<{ accountId: string; found: boolean }> = [];
  /** Every creation asked for, in order. */
  readonly creations: string[] = [];

  async lock(_manager: EntityManager, accountId: string): Promise<boolean> {
    const found = this.ids.has(accountId);
    this.locks.push({ accountId, found });
    return found;
  }

  async create(accountId: string): Promise<void> {
    this.creations.push(accountId);
    this.ids.add(accountId);
  }
}
