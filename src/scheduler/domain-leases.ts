import os from "node:os";
import { randomBytes } from "node:crypto";
import type { Domain } from "../domains/domain.entity";
import { DomainStore, LeaseQuery, SqlDomainStore } from "../domains/domain.store";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";

export type { LeaseQuery };

/** Claims one run holds: nobody else checks them until the run records them or the lease runs out. */
export interface LeasedBatch {
  lease: string;
  domains: Domain[];
}

/**
 * Hands out batches of claims under row leases, so several instances on one database
 * never work on the same claim at once (the protocol is DomainStore.leaseBatch's). Each
 * batch gets a lease name of its own.
 */
export class DomainLeases {
  /** Names this process in leaseOwner; a restarted process never mistakes an old lease for its own. */
  private readonly instance = `${os.hostname().slice(0, 24)}-${process.pid}-${randomBytes(3).toString("hex")}`;
  private taken = 0;
  private readonly store: DomainStore;

  constructor(db: Database, clock: Clock) {
    this.store = new SqlDomainStore(db, clock);
  }

  async take(query: LeaseQuery, limit: number, leaseMs: number): Promise<LeasedBatch> {
    const lease = `${this.instance}-${++this.taken}`;
    return { lease, domains: await this.store.leaseBatch(query, limit, leaseMs, lease) };
  }
}
