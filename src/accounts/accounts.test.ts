import type { EntityManager } from "typeorm";
import { Accounts } from "./accounts";
import { FakeAccountStore } from "./testing/fake-account-store";
import type { AccountStore } from "./account.store";

const MANAGER = {} as EntityManager;

/** Transactions that run their work at once and count how many were opened. */
class CountingTransactions {
  opened = 0;
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    this.opened++;
    return work(MANAGER);
  }
}

function setUp(store: AccountStore = new FakeAccountStore()) {
  const transactions = new CountingTransactions();
  return { store, transactions, accounts: new Accounts(store, transactions) };
}

describe("Accounts.locked", () => {
  it("creates an account's row on its first change, then locks it and runs the work once", async () => {
    const { store, transactions, accounts } = setUp();
    const fake = store as FakeAccountStore;
    const runs: string[] = [];
    await expect(accounts.locked("alice", async () => (runs.push("work"), "done"))).resolves.toBe("done");
    expect(runs).toEqual(["work"]);
    expect(fake.locks).toEqual([
      { accountId: "alice", found: false },
      { accountId: "alice", found: true },
    ]);
    expect(fake.creations).toEqual(["alice"]);
    expect(transactions.opened).toBe(2);
  });

  it("locks at once, in one transaction, once the row exists", async () => {
    const { store, transactions, accounts } = setUp();
    const fake = store as FakeAccountStore;
    fake.ids.add("alice");
    await accounts.locked("alice", async () => null);
    expect(fake.locks).toEqual([{ accountId: "alice", found: true }]);
    expect(fake.creations).toEqual([]);
    expect(transactions.opened).toBe(1);
  });

  it("keeps accounts apart: another account's row is created for it alone", async () => {
    const { store, accounts } = setUp();
    const fake = store as FakeAccountStore;
    fake.ids.add("alice");
    await accounts.locked("bob", async () => null);
    expect(fake.creations).toEqual(["bob"]);
    expect([...fake.ids].sort()).toEqual(["alice", "bob"]);
  });

  it("gives the work's failure back as it is, and takes no second attempt for it", async () => {
    const { store, accounts } = setUp();
    const fake = store as FakeAccountStore;
    fake.ids.add("alice");
    await expect(accounts.locked("alice", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(fake.locks).toHaveLength(1);
  });

  it("fails, without running the work, when the row it created cannot be locked", async () => {
    const vanishing: AccountStore = { lock: async () => false, create: async () => undefined };
    const { accounts } = setUp(vanishing);
    const work = jest.fn();
    await expect(accounts.locked("alice", work)).rejects.toThrow("account alice disappeared");
    expect(work).not.toHaveBeenCalled();
  });
});
