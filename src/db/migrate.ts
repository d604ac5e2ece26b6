import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { isDuplicateKeyError, isWriteConflict } from "./database";
import { withoutBounds } from "../shared/deadline";

const LOCK_TABLE = "dnsproof_migration_lock";
const LOCK_NAME = "migrations";

export interface MigrationLockTiming {
  /** How long a taken lock holds without renewal: an instance that died migrating blocks the others this long. */
  leaseMs: number;
  renewEveryMs: number;
  /** How often a waiting instance looks whether the lock is free. */
  pollMs: number;
  /** How long an instance waits for another to finish migrating before it gives up. */
  waitMs: number;
}

const TIMING: MigrationLockTiming = { leaseMs: 60_000, renewEveryMs: 10_000, pollMs: 250, waitMs: 180_000 };

/**
 * Applies pending migrations. Several instances may start at once, so they take a lock and run
 * one after another; the later ones find nothing to do. The lock is a row, not GET_LOCK(): a
 * named lock is local to one node of a Galera cluster, while a row written on one node conflicts
 * with the same row written on another. It has an expiry, renewed while migrating, so an instance
 * killed midway does not block the others for ever. SQLite takes the same path.
 */
export async function runMigrations(dataSource: DataSource, timing: MigrationLockTiming = TIMING): Promise<string[]> {
  const lock = new MigrationLock(dataSource, timing);
  await lock.acquire();
  const renewal = setInterval(() => void lock.renew().catch(() => undefined), timing.renewEveryMs);
  try {
    // A migration's ALTER TABLE may rebuild a large table for minutes: no statement bound applies.
    return (await withoutBounds(() => dataSource.runMigrations({ transaction: "each" }))).map((m) => m.name);
  } finally {
    clearInterval(renewal);
    await lock.release();
  }
}

/** The lock row: owner and expiry (milliseconds since the epoch), taken by INSERT or by a compare-and-set UPDATE. */
export class MigrationLock {
  readonly owner = randomUUID();

  constructor(
    private readonly dataSource: DataSource,
    private readonly timing: MigrationLockTiming = TIMING,
  ) {}

  async acquire(): Promise<void> {
    await this.dataSource.query(
      `CREATE TABLE IF NOT EXISTS ${LOCK_TABLE} (name VARCHAR(64) NOT NULL PRIMARY KEY, owner VARCHAR(64) NOT NULL, expiresAt BIGINT NOT NULL)`,
    );
    const deadline = Date.now() + this.timing.waitMs;
    while (!(await this.tryTake())) {
      if (Date.now() > deadline) throw new Error(`Timed out after ${this.timing.waitMs / 1000} s waiting for another instance to finish migrating`);
      await new Promise((resolve) => setTimeout(resolve, this.timing.pollMs));
    }
  }

  /** True when this instance now holds the lock: its INSERT or its UPDATE of an expired row changed the row. */
  async tryTake(): Promise<boolean> {
    const now = Date.now();
    try {
      await this.dataSource.query(`INSERT INTO ${LOCK_TABLE} (name, owner, expiresAt) VALUES (?, ?, ?)`, [LOCK_NAME, this.owner, now + this.timing.leaseMs]);
      return true;
    } catch (error) {
      // Taken by another instance; on a cluster, that instance's INSERT won certification.
      if (!isDuplicateKeyError(error) && !isWriteConflict(error)) throw error;
    }
    return this.update(`owner = ?, expiresAt = ? WHERE name = ? AND expiresAt < ?`, [this.owner, now + this.timing.leaseMs, LOCK_NAME, now]);
  }

  async renew(): Promise<boolean> {
    return this.update(`expiresAt = ? WHERE name = ? AND owner = ?`, [Date.now() + this.timing.leaseMs, LOCK_NAME, this.owner]);
  }

  async release(): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${LOCK_TABLE} WHERE name = ? AND owner = ?`, [LOCK_NAME, this.owner]);
  }

  private async update(assignmentsAndCondition: string, parameters: unknown[]): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(`UPDATE ${LOCK_TABLE} SET ${assignmentsAndCondition}`, parameters, true);
      return (result.affected ?? 0) > 0;
    } catch (error) {
      if (isWriteConflict(error)) return false;
      throw error;
    } finally {
      await runner.release();
    }
  }
}
