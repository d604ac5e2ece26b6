import type { EntityManager } from "typeorm";
import { Domain } from "../domain.entity";
import type { DomainListFilter, DomainStore, LapsedPosition, LeaseQuery, NewClaim, Transactions } from "../domain.store";
import { DomainStatus } from "../../shared/domain-status";
import { DomainScope, reversedName } from "../../shared/domain-scope";
import { isUnder } from "../inheritance";
import { STALE, TOKEN_LAPSED, effectiveStatus } from "../status-rules";
import { matches } from "../../shared/row-rule";
import type { Clock } from "../../shared/clock";
import { Principal, canSeeDomain, inScope } from "../../shared/principal";
import { Connection, PageArgs, toConnection } from "../../shared/pagination";
import type { AuditRecord } from "../../audit/audit-log";
import type { AuditRecorder } from "../verification.service";

/** What the fake store throws where the database would report a write losing the unique index on verifiedName. */
export class VerifiedNameConflict extends Error {
  constructor(name: string) {
    super(`Duplicate entry '${name}' for key 'UQ_domains_verified_name'`);
  }
}

/** The fakes stand in for the database; the manager they are handed is never looked at. */
const FAKE_MANAGER = {} as EntityManager;

/**
 * DomainStore in memory, for rules tested without a database. Rows are copied in and out,
 * so a service sees its own changes only after it saves them, as with a database. Row locks
 * are not modelled: transactions run one at a time (see FakeTransactions), and other writers
 * step in through `change` and `afterNextLockOfName`.
 */
export class FakeDomainStore implements DomainStore {
  private rows = new Map<string, Domain>();
  /** The rows as the open transaction found them; what a rollback returns to. */
  private committed: Map<string, Domain> | null = null;
  /** Runs once, right after the next lockClaimsOfName: what a concurrent writer does while a check is applied. */
  afterNextLockOfName: (() => void) | null = null;

  constructor(private readonly clock: Clock) {}

  /** Puts a row in as it is, bypassing every rule (test set-up). */
  put(domain: Domain): void {
    this.rows.set(domain.id, copy(domain));
  }

  /** The stored row, as a copy. */
  get(id: string): Domain | undefined {
    const row = this.rows.get(id);
    return row && copy(row);
  }

  /** Changes a stored row as another writer's committed transaction would: a rollback of the open one keeps it. */
  change(id: string, fields: Partial<Domain>): void {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no claim ${id}`);
    Object.assign(row, fields);
    const committed = this.committed?.get(id);
    if (committed) Object.assign(committed, fields);
  }

  /** The open transaction's own write: a rollback undoes it. */
  private write(id: string, fields: Partial<Domain>): void {
    const row = this.rows.get(id);
    if (row) Object.assign(row, fields);
  }

  begin(): void {
    this.committed = new Map([...this.rows].map(([id, row]) => [id, copy(row)]));
  }

  commit(): void {
    this.committed = null;
  }

  rollback(): void {
    if (this.committed) this.rows = this.committed;
    this.committed = null;
  }

  async findVisible(principal: Principal, domainId: string): Promise<Domain | null> {
    const domain = await this.findInAccount(principal.accountId, domainId);
    return domain && canSeeDomain(principal, domain) ? domain : null;
  }

  async lockVisible(_manager: EntityManager, principal: Principal, domainId: string): Promise<Domain | null> {
    return this.findVisible(principal, domainId);
  }

  async findInAccount(accountId: string, domainId: string): Promise<Domain | null> {
    return this.first((d) => d.id === domainId && d.accountId === accountId);
  }

  async lockInAccount(_manager: EntityManager, accountId: string, domainId: string): Promise<Domain | null> {
    return this.findInAccount(accountId, domainId);
  }

  async findByNameCounting(_manager: EntityManager, accountId: string, name: string): Promise<{ existing: Domain | null; held: number }> {
    return { existing: await this.first((d) => d.accountId === accountId && d.name === name), held: await this.countOfAccount(accountId) };
  }

  async findByIds(ids: readonly string[]): Promise<Domain[]> {
    return this.all((d) => ids.includes(d.id));
  }

  async countOfAccount(accountId: string): Promise<number> {
    return this.all((d) => d.accountId === accountId).length;
  }

  async page(page: PageArgs, filter: DomainListFilter, onlyId: string | null): Promise<Connection<Domain>> {
    const now = this.clock.now();
    const rows = this.all(
      (d) =>
        (!filter.accountId || d.accountId === filter.accountId) &&
        (!onlyId || d.id === onlyId || (Boolean(filter.alsoUnder) && isUnder(d.name, filter.alsoUnder!))) &&
        (!filter.nameContains || d.name.includes(filter.nameContains.toLowerCase())) &&
        (!filter.status || effectiveStatus(d, now) === filter.status),
    ).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
    const after = page.after;
    const start = after ? rows.findIndex((d) => d.createdAt.getTime() < after.createdAt.getTime() || (d.createdAt.getTime() === after.createdAt.getTime() && d.id < after.id)) : 0;
    const rest = start < 0 ? [] : rows.slice(start);
    return toConnection(rest.slice(0, page.first + 1), page, rows.length);
  }

  async lockById(_manager: EntityManager, domainId: string): Promise<Domain | null> {
    return this.first((d) => d.id === domainId);
  }

  async lockClaimsOfName(_manager: EntityManager, name: string): Promise<Domain[]> {
    const claims = this.all((d) => d.name === name).sort((a, b) => (a.id < b.id ? -1 : 1));
    const concurrentWriter = this.afterNextLockOfName;
    this.afterNextLockOfName = null;
    concurrentWriter?.();
    return claims;
  }

  async lockClaimsOfNames(manager: EntityManager, names: readonly string[]): Promise<Domain[]> {
    const claims: Domain[] = [];
    for (const name of new Set(names)) claims.push(...(await this.lockClaimsOfName(manager, name)));
    return claims.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async insert(_manager: EntityManager, domain: NewClaim): Promise<Domain> {
    const row = Object.assign(new Domain(), domain, { nameReversed: reversedName(domain.name) });
    await this.save(FAKE_MANAGER, row);
    return row;
  }

  async save(_manager: EntityManager, domain: Domain): Promise<void> {
    const taken = domain.verifiedName && this.first((d) => d.id !== domain.id && d.verifiedName === domain.verifiedName);
    if (taken) throw new VerifiedNameConflict(domain.name);
    this.rows.set(domain.id, copy(domain));
  }

  async updateAll(manager: EntityManager, domains: readonly Domain[], columns?: readonly (keyof Domain)[]): Promise<void> {
    for (const domain of domains) {
      const stored = this.rows.get(domain.id);
      if (!stored) continue;
      // Only the columns named reach the row, as in SQL: a change outside them is lost here too.
      const written = columns ? Object.assign(copy(stored), Object.fromEntries(columns.map((column) => [column, domain[column]]))) : domain;
      await this.save(manager, written);
    }
  }

  async delete(_manager: EntityManager, domainId: string): Promise<void> {
    this.rows.delete(domainId);
  }

  isVerifiedNameConflict(error: unknown): boolean {
    return error instanceof VerifiedNameConflict;
  }

  async leaseBatch(query: LeaseQuery, limit: number, leaseMs: number, lease: string): Promise<Domain[]> {
    const now = this.clock.now().getTime();
    const free = (d: Domain) => !d.leaseExpiresAt || d.leaseExpiresAt.getTime() <= now;
    const wanted =
      query.kind === "due"
        ? (d: Domain) => d.nextCheckAt !== null && d.nextCheckAt.getTime() <= now
        : (d: Domain) => d.status === DomainStatus.VERIFIED && (!d.lastCheckedAt || d.lastCheckedAt.getTime() < query.checkedBefore.getTime());
    const orderOf = (d: Domain) => (query.kind === "due" ? d.nextCheckAt : d.lastCheckedAt)?.getTime() ?? -Infinity;
    const taken = this.all((d) => free(d) && wanted(d))
      .sort((a, b) => orderOf(a) - orderOf(b) || (a.id < b.id ? -1 : 1))
      .slice(0, limit);
    const leaseExpiresAt = new Date(now + leaseMs);
    for (const d of taken) {
      this.write(d.id, { leaseOwner: lease, leaseExpiresAt });
      Object.assign(d, { leaseOwner: lease, leaseExpiresAt });
    }
    return taken;
  }

  async releaseLease(_manager: EntityManager, domainId: string): Promise<void> {
    this.write(domainId, { leaseOwner: null, leaseExpiresAt: null });
  }

  async giveBackLeases(lease: string, ids: readonly string[]): Promise<number> {
    const held = ids.filter((id) => this.rows.get(id)?.leaseOwner === lease);
    for (const id of held) this.write(id, { leaseOwner: null, leaseExpiresAt: null });
    return held.length;
  }

  async unschedule(domainId: string, lease: string): Promise<void> {
    const row = this.rows.get(domainId);
    if (row && row.leaseOwner === lease && (row.status === DomainStatus.EXPIRED || row.status === DomainStatus.REVOKED)) {
      this.write(domainId, { leaseOwner: null, leaseExpiresAt: null, nextCheckAt: null });
    }
  }

  async lockUnwarnedExpiring(_manager: EntityManager, now: Date, horizon: Date, limit: number): Promise<Domain[]> {
    return this.all(
      (d) => matches(TOKEN_LAPSED, d, horizon) && !matches(TOKEN_LAPSED, d, now) && !d.tokenExpiryWarnedAt,
    )
      .sort((a, b) => a.tokenExpiresAt.getTime() - b.tokenExpiresAt.getTime() || (a.id < b.id ? -1 : 1))
      .slice(0, limit);
  }

  async markWarned(_manager: EntityManager, domainId: string, at: Date): Promise<void> {
    this.write(domainId, { tokenExpiryWarnedAt: at });
  }

  async pageOfLapsedTokens(now: Date, after: LapsedPosition | null, limit: number): Promise<Pick<Domain, "id" | "status" | "tokenExpiresAt">[]> {
    const order = (a: Pick<Domain, "id" | "status" | "tokenExpiresAt">, b: Pick<Domain, "id" | "status" | "tokenExpiresAt">) =>
      (a.status < b.status ? -1 : a.status > b.status ? 1 : 0) || a.tokenExpiresAt.getTime() - b.tokenExpiresAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const beyond = (d: Domain) => !after || order(d, { id: after.id, status: after.status, tokenExpiresAt: after.at }) > 0;
    return this.all((d) => matches(TOKEN_LAPSED, d, now) && (!d.leaseExpiresAt || d.leaseExpiresAt.getTime() <= now.getTime()) && beyond(d))
      .sort(order)
      .slice(0, limit);
  }

  async pageOfStale(cutoff: Date, afterId: string, limit: number): Promise<Pick<Domain, "id">[]> {
    return this.all((d) => matches(STALE, d, cutoff) && d.id > afterId)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, limit);
  }

  /** Ids handed to lockByIds, one list per call: what tests read to see how rows were batched. */
  readonly lockedBatches: string[][] = [];

  async lockByIds(_manager: EntityManager, ids: readonly string[]): Promise<Domain[]> {
    this.lockedBatches.push([...ids]);
    return this.all((d) => ids.includes(d.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async deleteByIds(_manager: EntityManager, ids: readonly string[]): Promise<void> {
    for (const id of ids) this.rows.delete(id);
  }

  async writeExpired(_manager: EntityManager, ids: readonly string[], at: Date): Promise<void> {
    for (const id of ids) this.write(id, { status: DomainStatus.EXPIRED, nextCheckAt: null, updatedAt: at });
  }

  async releaseLeases(_manager: EntityManager, ids: readonly string[]): Promise<void> {
    for (const id of ids) this.write(id, { leaseOwner: null, leaseExpiresAt: null });
  }

  async findSubtreeClaims(_manager: EntityManager, accountId: string, names: readonly string[]): Promise<Domain[]> {
    return this.all((d) => d.accountId === accountId && names.includes(d.name) && d.scope === DomainScope.SUBTREE);
  }

  async lockClaimsUnder(_manager: EntityManager, accountId: string, name: string): Promise<Domain[]> {
    return this.all((d) => d.accountId === accountId && isUnder(d.name, name));
  }

  async lockInheritedFrom(_manager: EntityManager, parentId: string): Promise<Domain[]> {
    return this.all((d) => d.inheritedFromId === parentId);
  }

  async namesVerifiedElsewhere(_manager: EntityManager, accountId: string, names: readonly string[]): Promise<string[]> {
    return this.all((d) => d.accountId !== accountId && d.verifiedName !== null && names.includes(d.verifiedName)).map((d) => d.verifiedName!);
  }

  async countVerifiedUnderElsewhere(_manager: EntityManager, accountId: string, name: string): Promise<number> {
    return this.all((d) => d.accountId !== accountId && d.verifiedName !== null && isUnder(d.verifiedName, name)).length;
  }

  private first(predicate: (d: Domain) => boolean): Domain | null {
    return this.all(predicate)[0] ?? null;
  }

  private all(predicate: (d: Domain) => boolean): Domain[] {
    return [...this.rows.values()].filter(predicate).map(copy);
  }
}

/** The audit log as a list. */
export class FakeAuditLog implements AuditRecorder {
  entries: AuditRecord[] = [];

  async record(_manager: EntityManager, record: AuditRecord): Promise<void> {
    this.entries.push({ ...record, domain: record.domain && { id: record.domain.id, name: record.domain.name } });
  }

  async recordMany(manager: EntityManager, records: readonly AuditRecord[]): Promise<void> {
    for (const record of records) await this.record(manager, record);
  }
}

/** Transactions one at a time that roll the store and the audit log back when their work throws. */
export class FakeTransactions implements Transactions {
  constructor(
    private readonly store: FakeDomainStore,
    private readonly audit: FakeAuditLog,
  ) {}

  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    this.store.begin();
    const entries = this.audit.entries.length;
    try {
      const result = await work(FAKE_MANAGER);
      this.store.commit();
      return result;
    } catch (error) {
      this.store.rollback();
      this.audit.entries.length = entries;
      throw error;
    }
  }
}

function copy(domain: Domain): Domain {
  return Object.assign(new Domain(), domain, { previousTokens: [...domain.previousTokens] });
}
