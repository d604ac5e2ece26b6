import type { EntityManager } from "typeorm";
import { Account } from "./account.entity";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";

/** The account rows that serialize one account's changes. */
export interface AccountStore {
  /**
   * Locks the account's row for `manager`'s transaction. False when the account has no row
   * yet (nothing is locked then): its first change creates it with `create` and locks again.
   */
  lock(manager: EntityManager, accountId: string): Promise<boolean>;
  /** Creates the account's row unless it exists, in a transaction of its own. */
  create(accountId: string): Promise<void>;
}

/** Raw statements, as every claim runs them: TypeORM's query building costs more than each takes in the database. */
interface AccountStatements {
  exists: string;
  lock: string;
}

export class SqlAccountStore implements AccountStore {
  private built?: AccountStatements;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Built at first use: the data source's metadata exists only once it is initialized. */
  private get statements(): AccountStatements {
    if (this.built) return this.built;
    const { driver } = this.db.dataSource;
    const table = driver.escape(this.db.dataSource.getMetadata(Account).tablePath);
    const id = driver.escape("id");
    const version = driver.escape("version");
    this.built = {
      exists: `SELECT 1 AS found FROM ${table} WHERE ${id} = ? LIMIT 1`,
      lock: `UPDATE ${table} SET ${version} = ${version} + 1 WHERE ${id} = ?`,
    };
    return this.built;
  }

  /**
   * Bumps the row's version. On one MySQL server the UPDATE holds the row lock a FOR UPDATE
   * would, so one account's changes run one after another; on SQLite transactions already run
   * one at a time. On a multi-primary cluster (Galera) a row lock is local to one node, but a
   * written row is certified by every node: of two concurrent transactions of one account on
   * two nodes the second fails (ER_LOCK_DEADLOCK), and Database.transaction runs it again,
   * instead of both passing a limit.
   */
  async lock(manager: EntityManager, accountId: string): Promise<boolean> {
    const runner = manager.queryRunner;
    if (!runner) throw new Error("an account is locked inside a transaction only");
    const result = await runner.query(this.statements.lock, [accountId], true);
    return (result.affected ?? 0) > 0;
  }

  /**
   * In a transaction of its own: inside the caller's, INSERT IGNORE on an existing row (a
   * shared lock) or a locking read of a missing row (a gap lock) makes concurrent first
   * changes of one account deadlock on MySQL.
   */
  async create(accountId: string): Promise<void> {
    if ((await this.db.manager.query(this.statements.exists, [accountId])).length) return;
    await this.db.transaction((manager) =>
      manager.createQueryBuilder().insert().into(Account).values({ id: accountId, createdAt: this.clock.now() }).orIgnore().execute(),
    );
  }
}
