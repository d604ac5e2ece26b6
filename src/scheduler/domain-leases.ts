import type { Domain } from "../domains/domain.entity";
import type { DomainStore, LeaseQuery } from "../domains/domain.store";
import { newLease } from "../db/lease";

export type { LeaseQuery };

/** Claims one run holds: nobody else checks them until the run records them or the lease runs out. */
export interface LeasedBatch {
  lease: string;
  domains: Domain[];
}

/**
 * Hands out batches of claims under row leases, so several instances on one database
 * never work on the same claim at once (the protocol is db/lease.ts's, the claims' SQL
 * DomainStore.leaseBatch's). Each batch gets a lease name of its own.
 */
export class DomainLeases {
  constructor(private readonly store: DomainStore) {}

  async take(query: LeaseQuery, limit: number, leaseMs: number): Promise<LeasedBatch> {
    const lease = newLease();
    return { lease, domains: await this.store.leaseBatch(query, limit, leaseMs, lease) };
  }

  /** Releases the claims of `ids` that `lease` still holds, unchanged otherwise: a stopping run's claims it will not check. */
  giveBack(lease: string, ids: readonly string[]): Promise<number> {
    return this.store.giveBackLeases(lease, ids);
  }
}
