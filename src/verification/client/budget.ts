/**
 * How many DNS queries one verification may send. In authoritative mode the claimant writes the
 * NS records, so without a bound one check could be made to fan out to thousands of queries to
 * addresses of the claimant's choosing, and the scheduler would repeat them.
 */
export class QueryBudget {
  private spent = 0;
  private refused = 0;

  constructor(readonly limit: number) {}

  /** Queries left for work that must still happen. */
  get remaining(): number {
    return this.limit - this.spent;
  }

  /** Queries that were not sent because the budget was spent. */
  get denied(): number {
    return this.refused;
  }

  /** A share of the budget that always leaves `reserve` queries for later work. */
  share(reserve = 0): QueryAllowance {
    return {
      take: () => {
        if (this.spent + reserve >= this.limit) {
          this.refused++;
          return false;
        }
        this.spent++;
        return true;
      },
    };
  }
}

export interface QueryAllowance {
  /** True, and counts one query, when it may be sent. */
  take(): boolean;
}

/** What a query that was not sent answers, so callers treat it like any other failed lookup. */
export const BUDGET_SPENT_CODE = "EBUDGET";
