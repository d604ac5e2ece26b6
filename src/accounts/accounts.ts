import type { EntityManager } from "typeorm";
import type { AccountStore } from "./account.store";
import type { Database } from "../db/database";

/**
 * What every per-account rule stands on: a transaction that holds the account's lock, so
 * one account's claims, keys and endpoints are added one after another and a count taken
 * inside (withinLimit) still holds at commit.
 */
export class Accounts {
  constructor(
    private readonly store: AccountStore,
    private readonly transactions: Pick<Database, "transaction">,
  ) {}

  /** Runs `work` in one transaction that locked the account first, creating the account's row when it has none. */
  async locked<T>(accountId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const attempt = () =>
      this.transactions.transaction(async (manager) => ((await this.store.lock(manager, accountId)) ? { done: await work(manager) } : null));
    // Only an account's first change finds no row to lock: it creates the row in a transaction of
    // its own (two first changes at once must not lock the same gap) and tries again. Every later
    // change locks at once, one statement fewer than asking first.
    const result = (await attempt()) ?? (await this.store.create(accountId), await attempt());
    if (!result) throw new Error(`account ${accountId} disappeared while its row was being locked`);
    return result.done;
  }
}
