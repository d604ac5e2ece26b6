import os from "node:os";
import { randomBytes } from "node:crypto";
import type { EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import type { Clock } from "../shared/clock";
import type { Database } from "./database";

/**
 * Row leases: how instances sharing one database split background work so that no row is
 * worked on by two of them at once. A lease is written into the row itself (leaseOwner,
 * leaseExpiresAt), so it outlives the transaction that took it, and a crashed instance's rows
 * go back to work once leaseExpiresAt passes.
 *
 * Taking a lease is a compare-and-set: an UPDATE writes the lease only where the row is still
 * free and still wanted, and the instance works only on the rows that UPDATE changed, read
 * back by the lease. Correctness rests on that write alone, never on the locks taken while
 * picking candidates, because locks do not reach everywhere: on a multi-primary cluster
 * (Galera) they are node-local, only written rows are certified, and the loser of two
 * conflicting UPDATEs fails at COMMIT with ER_LOCK_DEADLOCK, which Database.transaction
 * retries. Picking takes FOR UPDATE SKIP LOCKED on MySQL/MariaDB so that instances on one
 * server pass each other by instead of queueing; SQLite (one process) runs transactions one
 * at a time anyway. This file is the only one that knows either, so a cluster changes here.
 */

/** The columns every leased table has. */
export interface Leasable {
  id: string;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
}

/** Names one column as a statement wants it: `d.nextCheckAt` in a SELECT, bare in an UPDATE. */
export type ColumnName = (property: string) => string;

/**
 * A condition on one row, written once for every statement that asks it (picking, leasing,
 * counting what is due). `:now` is the instant of the statement that asks.
 */
export interface RowCondition {
  sql(column: ColumnName): string;
  params?: ObjectLiteral;
}

/** Narrows, orders and limits one SELECT of free, wanted rows (several share one lease). */
export type CandidatePick<T extends ObjectLiteral> = (qb: SelectQueryBuilder<T>, column: ColumnName) => SelectQueryBuilder<T>;

export interface Claim<T extends ObjectLiteral> {
  /** The name written into the rows (newLease()). */
  lease: string;
  leaseMs: number;
  /** Why the rows are wanted besides being free: asked when picking them and again when leasing them, so a row that changed in between is not leased. */
  wanted: RowCondition;
  picks: CandidatePick<T>[];
}

/** No run holds the row: never leased, given up, or run out. */
export const NOT_LEASED: RowCondition = {
  sql: (column) => `(${column("leaseExpiresAt")} IS NULL OR ${column("leaseExpiresAt")} <= :now)`,
};

/** This process in leaseOwner: the pid's random part keeps a restarted process that got the same pid (a container's 1) from taking an old lease for its own. */
const INSTANCE = `${os.hostname().slice(0, 24)}-${process.pid}-${randomBytes(3).toString("hex")}`;
let leasesTaken = 0;

/** The name of this process in the leases it takes: host, pid and a random part. */
export function instanceName(): string {
  return INSTANCE;
}

/** A lease name no other lease ever had: the instance's name and a count. */
export function newLease(): string {
  return `${INSTANCE}-${++leasesTaken}`;
}

/** Room on top of the work for the database: reading the rows, recording each outcome, a retried deadlock. */
const DATABASE_ROOM_MS = 30_000;

/** How long `items` take, `concurrency` at once, when each runs into its deadline `itemMs`, with a second each for the database. */
export function worstCaseBatchMs(items: number, concurrency: number, itemMs: number): number {
  return Math.ceil(items / concurrency) * (itemMs + 1000);
}

/**
 * How long to lease rows for work that takes at most `worstCaseMs`, `times` over and then
 * some: a live instance never loses a lease it is still working on, and a crashed one's rows
 * come back soon after.
 */
export function leaseOutlasting(worstCaseMs: number, times = 1): number {
  return times * worstCaseMs + DATABASE_ROOM_MS;
}

/** Row locks on what `qb` picks, passing over rows another transaction holds, where the database has row locks. */
export function lockSkippingHeld<T extends ObjectLiteral>(db: Pick<Database, "kind">, qb: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
  return db.kind === "mysql" ? qb.setLock("pessimistic_write").setOnLocked("skip_locked") : qb;
}

const ALIAS = "leased";
/** Names a column in the SELECTs RowLeases builds (`available`). */
export const aliased: ColumnName = (property) => `${ALIAS}.${property}`;
const bare: ColumnName = (property) => property;

/** Takes, renews and gives up leases on the rows of one table. Holds no state but where it works. */
export class RowLeases<T extends Leasable> {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly entity: EntityTarget<T>,
  ) {}

  /** Rows nobody leases that `wanted` holds for at `now`, as a SELECT to build on (name its columns with `aliased`). */
  available(manager: EntityManager, wanted: RowCondition, now: Date): SelectQueryBuilder<T> {
    return manager
      .createQueryBuilder(this.entity, ALIAS)
      .where(NOT_LEASED.sql(aliased), { now })
      .andWhere(wanted.sql(aliased), { ...wanted.params, now });
  }

  /** Leases what the picks find under `claim.lease`; only the rows this lease's UPDATE changed, in the picks' order. */
  claim(claim: Claim<T>): Promise<T[]> {
    // READ COMMITTED takes no gap locks: rows inserted meanwhile, and other instances leasing, never wait on these reads.
    return this.db.transaction(async (manager) => {
      const now = this.clock.now();
      const ids = await this.candidates(manager, claim, now);
      if (ids.length === 0) return [];
      await manager
        .createQueryBuilder()
        .update(this.entity)
        .set(columns<T>({ leaseOwner: claim.lease, leaseExpiresAt: new Date(now.getTime() + claim.leaseMs) }))
        .where(`${bare("id")} IN (:...ids)`, { ids })
        .andWhere(NOT_LEASED.sql(bare), { now })
        .andWhere(claim.wanted.sql(bare), { ...claim.wanted.params, now })
        .execute();
      return this.held(manager, ids, claim.lease);
    }, "READ COMMITTED");
  }

  /** Moves the expiry of `lease` to `leaseMs` from now on those of `ids` it still holds; how many that is. */
  async renew(lease: string, ids: readonly string[], leaseMs: number): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.db.manager
      .createQueryBuilder()
      .update(this.entity)
      .set(columns<T>({ leaseExpiresAt: new Date(this.clock.now().getTime() + leaseMs) }))
      .where(`${bare("id")} IN (:...ids)`, { ids: [...ids] })
      .andWhere(`${bare("leaseOwner")} = :lease`, { lease })
      .execute();
    return result.affected ?? 0;
  }

  /** Gives up `lease` on those of `ids` it still holds, writing nothing else; how many rows that was. */
  async giveUp(lease: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.db.manager
      .createQueryBuilder()
      .update(this.entity)
      .set(columns<T>(GIVEN_UP))
      .where(`${bare("id")} IN (:...ids)`, { ids: [...ids] })
      .andWhere(`${bare("leaseOwner")} = :lease`, { lease })
      .execute();
    return result.affected ?? 0;
  }

  /**
   * Gives up `lease` on row `id`, writing `changes` with it, in `manager`'s transaction, while
   * the row still carries the lease and matches `also`. False when the lease was lost
   * meanwhile: nothing is written then, and whoever holds the row now records its own.
   */
  async release(manager: EntityManager, id: string, lease: string, changes: QueryDeepPartialEntity<T> = {}, also: FindOptionsWhere<T> = {}): Promise<boolean> {
    const result = await manager.update(this.entity, { ...also, id, leaseOwner: lease } as FindOptionsWhere<T>, columns<T>({ ...changes, ...GIVEN_UP }));
    return Boolean(result.affected);
  }

  /** Clears whatever lease row `id` carries: for a caller that locked the row and checked the lease itself. */
  async clear(manager: EntityManager, id: string): Promise<void> {
    await manager.update(this.entity, { id } as FindOptionsWhere<T>, columns<T>(GIVEN_UP));
  }

  private async candidates(manager: EntityManager, claim: Claim<T>, now: Date): Promise<string[]> {
    const ids = new Set<string>();
    for (const pick of claim.picks) {
      const qb = lockSkippingHeld(this.db, pick(this.available(manager, claim.wanted, now).select(aliased("id"), "id"), aliased));
      for (const row of await qb.getRawMany<{ id: string }>()) ids.add(row.id);
    }
    return [...ids];
  }

  private async held(manager: EntityManager, ids: string[], lease: string): Promise<T[]> {
    const rows = await manager
      .createQueryBuilder(this.entity, ALIAS)
      .where(`${aliased("id")} IN (:...ids)`, { ids })
      .andWhere(`${aliased("leaseOwner")} = :lease`, { lease })
      .getMany();
    const order = new Map(ids.map((id, index) => [id, index]));
    return rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  }
}

const GIVEN_UP: Partial<Leasable> = { leaseOwner: null, leaseExpiresAt: null };

/** The lease columns as TypeORM types a write to any leased table. */
function columns<T extends Leasable>(values: object): QueryDeepPartialEntity<T> {
  return values as unknown as QueryDeepPartialEntity<T>;
}
