/**
 * How an instance shares its webhook POSTs between accounts: a pool of WEBHOOK_CONCURRENCY
 * attempts that refills as each one ends (no rounds that wait for their slowest), at most
 * WEBHOOK_CONCURRENCY_PER_ACCOUNT of one account's and WEBHOOK_CONCURRENCY_PER_ENDPOINT of one
 * endpoint's in flight, and free places handed out round-robin, the account served longest
 * ago first. One account's endpoints that never answer (or whose names never resolve) then
 * hold at most their share of the pool, and every other account keeps the rest.
 */

export interface ShareLimits {
  concurrency: number;
  perAccount: number;
  perEndpoint: number;
}

/** Due, unleased deliveries of one endpoint, as the database counts them. */
export interface DueGroup {
  accountId: string;
  endpointId: string;
  due: number;
}

/** How many of one endpoint's due deliveries to lease now. */
export interface Take {
  accountId: string;
  endpointId: string;
  count: number;
}

/** What one delivery counts against. */
export interface Attempt {
  accountId: string;
  endpointId: string;
}

/** The attempts this instance has in flight, by account and by endpoint. */
export class InFlight {
  readonly byAccount = new Map<string, number>();
  readonly byEndpoint = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly onSettled: () => void = () => undefined) {}

  get size(): number {
    return this.running.size;
  }

  /** Runs `work` for `attempt`, counted until it settles; a failure of `work` is its own to report. */
  run(attempt: Attempt, work: () => Promise<void>): void {
    bump(this.byAccount, attempt.accountId, 1);
    bump(this.byEndpoint, attempt.endpointId, 1);
    const running: Promise<void> = work()
      .catch(() => undefined)
      .finally(() => {
        bump(this.byAccount, attempt.accountId, -1);
        bump(this.byEndpoint, attempt.endpointId, -1);
        this.running.delete(running);
        this.onSettled();
      });
    this.running.add(running);
  }

  /** Resolves when any attempt in flight has settled (at once when none is). */
  async anySettled(): Promise<void> {
    if (this.running.size > 0) await Promise.race(this.running);
  }

  /** Resolves when every attempt, including those started meanwhile, has settled. */
  async allSettled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Accounts and endpoints that may not start another attempt now. */
  full(limits: ShareLimits): { accounts: string[]; endpoints: string[] } {
    const at = (counts: Map<string, number>, cap: number) => [...counts].filter(([, n]) => n >= cap).map(([id]) => id);
    return { accounts: at(this.byAccount, limits.perAccount), endpoints: at(this.byEndpoint, limits.perEndpoint) };
  }
}

/** When each account was last given a place; bounded, forgetting the longest-served first. */
export class RoundRobin {
  private readonly servedAt = new Map<string, number>();
  private turn = 0;

  constructor(private readonly remembered = 10_000) {}

  /** 0 for an account never served: it goes first. */
  lastServed(accountId: string): number {
    return this.servedAt.get(accountId) ?? 0;
  }

  served(accountIds: Iterable<string>): void {
    for (const accountId of accountIds) {
      this.servedAt.delete(accountId);
      this.servedAt.set(accountId, ++this.turn);
      if (this.servedAt.size > this.remembered) this.servedAt.delete(this.servedAt.keys().next().value!);
    }
  }
}

/**
 * The deliveries to lease now, given what is due (`groups`, oldest first) and what is in
 * flight: one place per account per turn, accounts in the order they were last served (then
 * by their oldest due delivery), each account's endpoints in turn, until the pool is full or
 * nothing more may start. Pure: the worker applies it.
 */
export function planTakes(groups: readonly DueGroup[], inFlight: InFlight, limits: ShareLimits, lastServed: (accountId: string) => number): Take[] {
  let free = limits.concurrency - inFlight.size;
  const perAccount = Math.min(limits.perAccount, limits.concurrency);
  const perEndpoint = Math.min(limits.perEndpoint, perAccount);
  const queues = new Map<string, { endpoints: DueGroup[]; running: number }>();
  for (const group of groups) {
    const queue = queues.get(group.accountId) ?? { endpoints: [], running: inFlight.byAccount.get(group.accountId) ?? 0 };
    queue.endpoints.push({ ...group });
    queues.set(group.accountId, queue);
  }
  const order = [...queues.keys()].map((id, index) => ({ id, index })).sort((a, b) => lastServed(a.id) - lastServed(b.id) || a.index - b.index);
  const takes = new Map<string, Take>();
  const taken = (endpointId: string) => (inFlight.byEndpoint.get(endpointId) ?? 0) + (takes.get(endpointId)?.count ?? 0);
  let progress = true;
  while (free > 0 && progress) {
    progress = false;
    for (const { id } of order) {
      if (free === 0) break;
      const queue = queues.get(id)!;
      if (queue.running >= perAccount) continue;
      const next = queue.endpoints.findIndex((group) => group.due > 0 && taken(group.endpointId) < perEndpoint);
      if (next < 0) continue;
      const [group] = queue.endpoints.splice(next, 1);
      // The endpoint goes to the back of its account's line: the account's endpoints take turns too.
      queue.endpoints.push(group);
      group.due--;
      queue.running++;
      free--;
      progress = true;
      const take = takes.get(group.endpointId) ?? { accountId: id, endpointId: group.endpointId, count: 0 };
      take.count++;
      takes.set(group.endpointId, take);
    }
  }
  return [...takes.values()];
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const value = (counts.get(key) ?? 0) + by;
  if (value > 0) counts.set(key, value);
  else counts.delete(key);
}
