import os from "node:os";
import { randomBytes } from "node:crypto";
import { Domain } from "../domains/domain.entity";
import { DomainStatus } from "../shared/domain-status";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";

/** Claims one run holds: nobody else checks them until the run records them or the lease runs out. */
export interface LeasedBatch {
  lease: string;
  domains: Domain[];
}

/** Which claims a run wants. */
export type LeaseQuery =
  /** Claims whose nextCheckAt has come, earliest first: checks and expiries the scheduler owes. */
  | { kind: "due" }
  /** Verified claims not checked since `checkedBefore`, least recently checked first (admin re-verification). */
  | { kind: "verified"; checkedBefore: Date };

/**
 * Hands out batches of claims under row leases, so several instances on one database
 * never work on the same claim at once. On MySQL the read takes row locks and skips rows
 * another instance is leasing at that moment (FOR UPDATE SKIP LOCKED), then writes the
 * lease into the rows themselves; the lease column is what outlives the transaction and
 * what lets a crashed instance's claims go back to work once leaseExpiresAt passes.
 * On SQLite (one process) transactions already run one at a time.
 */
export class DomainLeases {
  /** Names this process in leaseOwner; a restarted process never mistakes an old lease for its own. */
  private readonly instance = `${os.hostname().slice(0, 24)}-${process.pid}-${randomBytes(3).toString("hex")}`;
  private taken = 0;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async take(query: LeaseQuery, limit: number, leaseMs: number): Promise<LeasedBatch> {
    const lease = `${this.instance}-${++this.taken}`;
    // READ COMMITTED takes no gap locks: claims inserted meanwhile, and other instances leasing, never wait on this read.
    const domains = await this.db.transaction(async (manager) => {
      const now = this.clock.now();
      const qb = manager
        .createQueryBuilder(Domain, "d")
        .where("(d.leaseExpiresAt IS NULL OR d.leaseExpiresAt <= :now)", { now });
      if (query.kind === "due") {
        qb.andWhere("d.nextCheckAt <= :now", { now }).orderBy("d.nextCheckAt", "ASC");
      } else {
        qb.andWhere("d.status = :verified", { verified: DomainStatus.VERIFIED })
          .andWhere("(d.lastCheckedAt IS NULL OR d.lastCheckedAt < :checkedBefore)", { checkedBefore: query.checkedBefore })
          .orderBy("d.lastCheckedAt", "ASC");
      }
      qb.addOrderBy("d.id", "ASC").limit(limit);
      if (this.db.kind === "mysql") qb.setLock("pessimistic_write").setOnLocked("skip_locked");
      const rows = await qb.getMany();
      if (rows.length === 0) return rows;
      const leaseExpiresAt = new Date(now.getTime() + leaseMs);
      await manager
        .createQueryBuilder()
        .update(Domain)
        .set({ leaseOwner: lease, leaseExpiresAt })
        .whereInIds(rows.map((row) => row.id))
        .execute();
      for (const row of rows) Object.assign(row, { leaseOwner: lease, leaseExpiresAt });
      return rows;
    }, "READ COMMITTED");
    return { lease, domains };
  }
}
