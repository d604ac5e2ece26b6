import { EntityManager, In, SelectQueryBuilder } from "typeorm";
import { Domain } from "./domain.entity";
import { DomainStatus } from "../shared/domain-status";
import { DomainScope, reversedName, reversedRangeUnder } from "../shared/domain-scope";
import { STALE, TOKEN_LAPSED, hasEffectiveStatus } from "./status-rules";
import { toSql } from "../shared/row-rule";
import type { Clock } from "../shared/clock";
import { Database, isDuplicateKeyError } from "../db/database";
import { afterCursor, paginate } from "../db/pagination";
import { NOT_LEASED, RowCondition, RowLeases, lockSkippingHeld } from "../db/lease";
import { RowReader, rowReader } from "../db/row-reader";
import { RowWriter, rowWriter } from "../db/row-writer";
import { Principal, canSeeDomain, inScope } from "../shared/principal";
import { lockInAccount } from "../accounts/owned-rows";
import { Connection, PageArgs, toConnection } from "../shared/pagination";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { DomainNameGram } from "./name-gram.entity";
import { GRAM_LENGTH, gramsOf, sampledGrams } from "./name-grams";

/**
 * Past this many claims holding a search's rarest piece, the text is common: walking the claims
 * newest first finds a page of matches sooner than sorting every claim that holds the piece.
 */
const DENSE_GRAM = 10_000;
/** A piece this rare makes a page cheap enough: counting the others could cost more than it saves. */
const FEW_ENOUGH = 100;

/** Runs `work` in one transaction; `isolation` applies on MySQL only. What services need of the database besides a store. */
export type Transactions = Pick<Database, "transaction">;

export interface DomainListFilter {
  accountId?: string | null;
  /** Substring of the ASCII name (admin search). */
  nameContains?: string | null;
  /** With `onlyId`: the names under this one are listed too (a key scoped to a SUBTREE domain). */
  alsoUnder?: string | null;
  status?: DomainStatus | null;
}

/** Which claims a run wants. */
export type LeaseQuery =
  /** Claims whose nextCheckAt has come, earliest first: checks and expiries the scheduler owes. */
  | { kind: "due" }
  /** Verified claims not checked since `checkedBefore`, least recently checked first (admin re-verification). */
  | { kind: "verified"; checkedBefore: Date };

/** Where a keyset page of lapsed claims starts: after this status, token expiry and id. */
export interface LapsedPosition {
  status: DomainStatus;
  at: Date;
  id: string;
}

/**
 * Every query about claims. Methods taking a manager run in the caller's transaction; the
 * others run on their own.
 */
export interface DomainStore {
  /** The principal's claim, or null for a missing id, another account's id and an id outside an API key's scope alike. */
  findVisible(principal: Principal, domainId: string): Promise<Domain | null>;
  /** As findVisible, locked for the caller's transaction. */
  lockVisible(manager: EntityManager, principal: Principal, domainId: string): Promise<Domain | null>;
  findInAccount(accountId: string, domainId: string, manager?: EntityManager): Promise<Domain | null>;
  lockInAccount(manager: EntityManager, accountId: string, domainId: string): Promise<Domain | null>;
  /** The account's claim of `name`, if any, and how many claims the account holds: one statement for both, as every claim asks both. */
  findByNameCounting(manager: EntityManager, accountId: string, name: string): Promise<{ existing: Domain | null; held: number }>;
  findByIds(ids: readonly string[]): Promise<Domain[]>;
  countOfAccount(accountId: string, manager?: EntityManager): Promise<number>;
  /** A page of claims in (createdAt, id) order; `onlyId` narrows it to one claim (an API key's scope). */
  page(page: PageArgs, filter: DomainListFilter, onlyId: string | null): Promise<Connection<Domain>>;

  lockById(manager: EntityManager, domainId: string): Promise<Domain | null>;
  /** Every claim of `name`, locked in id order, so two accounts verifying one name are decided one after the other. */
  lockClaimsOfName(manager: EntityManager, name: string): Promise<Domain[]>;
  /** As lockClaimsOfName for many names in one statement: every claim of any of them, locked, in id order. */
  lockClaimsOfNames(manager: EntityManager, names: readonly string[]): Promise<Domain[]>;
  /** Writes a new claim; the store derives `nameReversed` from the name, so no caller can get it wrong. */
  insert(manager: EntityManager, domain: NewClaim): Promise<Domain>;
  save(manager: EntityManager, domain: Domain): Promise<void>;
  /**
   * Writes claims the caller read and locked in its transaction: one UPDATE for all of them, no
   * read first; every column, or only `columns` when the caller changed no other.
   */
  updateAll(manager: EntityManager, domains: readonly Domain[], columns?: readonly (keyof Domain)[]): Promise<void>;
  delete(manager: EntityManager, domainId: string): Promise<void>;
  /** True when `error` is a write that lost the unique index on verifiedName to a concurrent verification. */
  isVerifiedNameConflict(error: unknown): boolean;

  /** Claims `lease` holds for `leaseMs` from now, taken so that no other run holds any of them. */
  leaseBatch(query: LeaseQuery, limit: number, leaseMs: number, lease: string): Promise<Domain[]>;
  releaseLease(manager: EntityManager, domainId: string): Promise<void>;
  /** Clears `lease` from those of `ids` it still holds, changing nothing else; how many. */
  giveBackLeases(lease: string, ids: readonly string[]): Promise<number>;
  /** Releases a leased EXPIRED or REVOKED claim and stops it falling due again; a claim in another state is left alone. */
  unschedule(domainId: string, lease: string): Promise<void>;
  /** Unproven claims whose token runs out in (now, horizon] and that were not warned about, locked, skipping rows locked elsewhere. */
  lockUnwarnedExpiring(manager: EntityManager, now: Date, horizon: Date, limit: number): Promise<Domain[]>;
  markWarned(manager: EntityManager, domainId: string, at: Date): Promise<void>;

  /**
   * Ids (with status and token expiry) of claims whose token lapsed by `now` and that no run is
   * leasing, after `after` in (status, expiry, id) order: the order of the index on (status,
   * tokenExpiresAt), so a page reads its rows and no more, however many claims lapsed.
   */
  pageOfLapsedTokens(now: Date, after: LapsedPosition | null, limit: number): Promise<Pick<Domain, "id" | "status" | "tokenExpiresAt">[]>;
  /** Ids of claims stale at `cutoff`, after `afterId` in id order. */
  pageOfStale(cutoff: Date, afterId: string, limit: number): Promise<Pick<Domain, "id">[]>;

  /**
   * The claims of `ids` that still exist, locked for the caller's transaction in id order: every
   * batch takes its rows in that one order, so two batches (or a batch and the claims of a
   * name, locked in id order too) never wait on each other in a circle.
   */
  lockByIds(manager: EntityManager, ids: readonly string[]): Promise<Domain[]>;
  /** Deletes the claims of `ids` in one statement. */
  deleteByIds(manager: EntityManager, ids: readonly string[]): Promise<void>;
  /** Writes EXPIRED, no next check and `at` as the last change into the claims of `ids`, in one statement. */
  writeExpired(manager: EntityManager, ids: readonly string[], at: Date): Promise<void>;
  /** Clears the lease on each claim of `ids`: for a caller that locked the rows and checked their lease itself. */
  releaseLeases(manager: EntityManager, ids: readonly string[]): Promise<void>;

  /**
   * The account's SUBTREE claims of any of `names` (the names above a claim), read without
   * locking: every claim asks, and a lock here would make claims wait on unrelated rows.
   */
  findSubtreeClaims(manager: EntityManager, accountId: string, names: readonly string[]): Promise<Domain[]>;
  /** The account's claims of names strictly under `name`, locked in id order. */
  lockClaimsUnder(manager: EntityManager, accountId: string, name: string): Promise<Domain[]>;
  /** The claims verified through the SUBTREE claim `parentId`, locked in id order. */
  lockInheritedFrom(manager: EntityManager, parentId: string): Promise<Domain[]>;
  /** Which of `names` another account than `accountId` holds VERIFIED. */
  namesVerifiedElsewhere(manager: EntityManager, accountId: string, names: readonly string[]): Promise<string[]>;
  /** How many names strictly under `name` accounts other than `accountId` hold VERIFIED. */
  countVerifiedUnderElsewhere(manager: EntityManager, accountId: string, name: string): Promise<number>;
}

/** A claim as the service builds it: every column but those the store derives. */
export type NewClaim = Omit<Domain, "nameReversed">;

/** The claims strictly under a name, with `reversedRangeUnder(name)` as its parameters: a range of an index on nameReversed. */
const RANGE_UNDER = "d.nameReversed > :above AND d.nameReversed < :below";

/**
 * Every claim runs these, so they are raw statements over the entities' metadata: TypeORM's
 * query building costs more than each of them takes in the database.
 */
class ClaimStatements {
  readonly domainReader: RowReader<Domain>;
  readonly domainWriter: RowWriter<Domain>;
  readonly domainByNameCounting: string;
  readonly countOfAccount: string;
  readonly updatedColumns: ColumnMetadata[];
  readonly table: string;
  readonly id: string;
  /** `SELECT ... WHERE name IN (` to be closed with the placeholders and lockedByName's tail. */
  readonly claimsOfNames: string;
  readonly claimsOfNamesTail: string;
  /** `SELECT ... WHERE accountId = ? AND scope = ? AND name IN (`, closed with the placeholders and `)`: the SUBTREE claims above a name. */
  readonly subtreeClaimsOfNames: string;

  constructor(db: Database) {
    const { driver } = db.dataSource;
    const table = (entity: Function) => driver.escape(db.dataSource.getMetadata(entity).tablePath);
    const column = (name: string) => driver.escape(name);
    this.domainReader = rowReader(db.dataSource, Domain);
    this.domainWriter = rowWriter(db.dataSource, Domain);
    // One row always: the count, and the claim's columns (all null when there is none).
    this.domainByNameCounting =
      `SELECT (SELECT COUNT(*) FROM ${table(Domain)} WHERE ${column("accountId")} = ?) AS ${column("held")}, ${this.domainReader.columns} ` +
      `FROM (SELECT 1 AS ${column("one")}) ${column("one_row")} LEFT JOIN ${table(Domain)} ON ${column("accountId")} = ? AND ${column("name")} = ?`;
    this.countOfAccount = `SELECT COUNT(*) AS ${column("held")} FROM ${table(Domain)} WHERE ${column("accountId")} = ?`;
    const accountPage = (after: boolean) =>
      `SELECT ${this.domainReader.columns} FROM ${table(Domain)} WHERE ${column("accountId")} = ?` +
      (after ? ` AND (${column("createdAt")} < ? OR (${column("createdAt")} = ? AND ${column("id")} < ?))` : "") +
      ` ORDER BY ${column("createdAt")} DESC, ${column("id")} DESC LIMIT ?`;
    this.accountPage = accountPage(false);
    this.accountPageAfter = accountPage(true);
    this.gramsTable = table(DomainNameGram);
    this.deleteGrams = `DELETE FROM ${this.gramsTable} WHERE ${column("domainId")} = ?`;
    this.countGram = `SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM ${this.gramsTable} WHERE gram = ? LIMIT ?) counted`;
    const metadata = db.dataSource.getMetadata(Domain);
    this.updatedColumns = metadata.columns.filter((c) => !c.isPrimary);
    this.table = table(Domain);
    this.id = column("id");
    // Forced: for a list of names in id order MariaDB may walk the whole primary key instead, and
    // FOR UPDATE then locks every claim of every account until the group of checks commits.
    const byName = db.kind === "mysql" ? ` FORCE INDEX (${column("IDX_domains_name")})` : "";
    this.claimsOfNames = `SELECT ${this.domainReader.columns} FROM ${table(Domain)}${byName} WHERE ${column("name")} IN (`;
    this.claimsOfNamesTail = `) ORDER BY ${column("id")}${db.kind === "mysql" ? " FOR UPDATE" : ""}`;
    this.subtreeClaimsOfNames = `SELECT ${this.domainReader.columns} FROM ${table(Domain)} WHERE ${column("accountId")} = ? AND ${column("scope")} = ? AND ${column("name")} IN (`;
  }

  /** An account's claims newest first, the frontends' list: from the start, and after a cursor. */
  readonly accountPage: string;
  readonly accountPageAfter: string;
  readonly gramsTable: string;
  readonly deleteGrams: string;
  /** How many claims hold one piece, counted no further than the LIMIT: a common piece costs no more than the bound. */
  readonly countGram: string;

  private readonly subsets = new Map<string, ColumnMetadata[]>();

  /** The updatable columns of these properties, found once per list. */
  columnsNamed(properties: readonly string[]): ColumnMetadata[] {
    const key = properties.join(",");
    let found = this.subsets.get(key);
    if (!found) this.subsets.set(key, (found = this.updatedColumns.filter((column) => properties.includes(column.propertyName))));
    return found;
  }

  insertGrams(count: number): string {
    return `INSERT INTO ${this.gramsTable} (gram, domainId) VALUES ${Array(count).fill("(?, ?)").join(", ")}`;
  }

}

export class SqlDomainStore implements DomainStore {
  private statements?: ClaimStatements;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Built at first use: the data source's metadata exists only once it is initialized. */
  private get claimStatements(): ClaimStatements {
    return (this.statements ??= new ClaimStatements(this.db));
  }

  async findVisible(principal: Principal, domainId: string): Promise<Domain | null> {
    if (!inScope(principal, domainId) && !principal.scopedSubtree) return null;
    const domain = await this.findInAccount(principal.accountId, domainId);
    return domain && canSeeDomain(principal, domain) ? domain : null;
  }

  async lockVisible(manager: EntityManager, principal: Principal, domainId: string): Promise<Domain | null> {
    const domain = await lockInAccount(this.db, manager, Domain, principal.accountId, domainId);
    return domain && canSeeDomain(principal, domain) ? domain : null;
  }

  findInAccount(accountId: string, domainId: string, manager: EntityManager = this.db.manager): Promise<Domain | null> {
    return manager.findOneBy(Domain, { id: domainId, accountId });
  }

  lockInAccount(manager: EntityManager, accountId: string, domainId: string): Promise<Domain | null> {
    return lockInAccount(this.db, manager, Domain, accountId, domainId);
  }

  async findByNameCounting(manager: EntityManager, accountId: string, name: string): Promise<{ existing: Domain | null; held: number }> {
    const { domainByNameCounting, domainReader } = this.claimStatements;
    const [row] = await manager.query(domainByNameCounting, [accountId, accountId, name]);
    return { existing: row.id == null ? null : domainReader.read(row), held: Number(row.held) };
  }

  async findByIds(ids: readonly string[]): Promise<Domain[]> {
    return ids.length ? this.db.manager.createQueryBuilder(Domain, "d").whereInIds([...ids]).getMany() : [];
  }

  async countOfAccount(accountId: string, manager: EntityManager = this.db.manager): Promise<number> {
    const [row] = await manager.query(this.claimStatements.countOfAccount, [accountId]);
    return Number(row.held);
  }

  async page(page: PageArgs, filter: DomainListFilter, onlyId: string | null): Promise<Connection<Domain>> {
    if (filter.accountId && !filter.status && !filter.nameContains && !onlyId) return this.accountPage(filter.accountId, page);
    const text = filter.nameContains?.toLowerCase() ?? "";
    const gram = text.length >= GRAM_LENGTH ? await this.rarestGram(text) : null;
    const query = () => {
      const qb = this.db.manager.createQueryBuilder(Domain, "d");
      if (filter.accountId) qb.andWhere("d.accountId = :accountId", { accountId: filter.accountId });
      if (onlyId && filter.alsoUnder) qb.andWhere(`(d.id = :onlyId OR (${RANGE_UNDER}))`, { onlyId, ...reversedRangeUnder(filter.alsoUnder) });
      else if (onlyId) qb.andWhere("d.id = :onlyId", { onlyId });
      if (text) qb.andWhere("d.name LIKE :pattern ESCAPE '!'", { pattern: `%${text.replace(/[!%_]/g, "!$&")}%` });
      if (gram) qb.innerJoin(DomainNameGram, "g", "g.domainId = d.id AND g.gram = :gram", { gram });
      if (filter.status) {
        // The status readers see, so a lapsed PENDING claim is listed under EXPIRED before any sweep.
        const { sql, params } = toSql(hasEffectiveStatus(filter.status), "d", this.clock.now(), "effective");
        qb.andWhere(sql, params);
      }
      return qb;
    };
    return filter.status && !filter.accountId ? this.pageByIdsFirst(query, page) : paginate(query, "d", page);
  }

  /**
   * A page of every account's claims in one status: the ids first, walked in (createdAt, id)
   * order through IDX_domains_created_status, which holds what the status test reads, so
   * no claim's row is read to be turned down; then the rows of the page alone. A claim removed
   * between the two statements is left out of the page.
   */
  private async pageByIdsFirst(query: () => SelectQueryBuilder<Domain>, page: PageArgs): Promise<Connection<Domain>> {
    const keys: { id: string }[] = await afterCursor(query(), "d", page.after)
      .select("d.id", "id")
      .orderBy("d.createdAt", "DESC")
      .addOrderBy("d.id", "DESC")
      .limit(page.first + 1)
      .getRawMany();
    const byId = new Map((await this.findByIds(keys.map((key) => key.id))).map((domain) => [domain.id, domain]));
    const rows = keys.flatMap((key) => byId.get(key.id) ?? []);
    return toConnection(rows, page, () => query().getCount());
  }

  /**
   * What every frontend asks first, as prepared text read without TypeORM's query building and
   * hydration, which cost more than the statement itself; the count runs only when selected.
   */
  private async accountPage(accountId: string, page: PageArgs): Promise<Connection<Domain>> {
    const { accountPage, accountPageAfter, domainReader } = this.claimStatements;
    const at = page.after && this.db.dateParameter(page.after.createdAt);
    const rows: Record<string, unknown>[] = page.after
      ? await this.db.manager.query(accountPageAfter, [accountId, at, at, page.after.id, page.first + 1])
      : await this.db.manager.query(accountPage, [accountId, page.first + 1]);
    return toConnection(rows.map((row) => domainReader.read(row)), page, () => this.countOfAccount(accountId));
  }

  /** The piece of `text` the fewest claims hold, or null when even that one is common. */
  private async rarestGram(text: string): Promise<string | null> {
    let rarest: { gram: string; count: number } | null = null;
    for (const gram of sampledGrams(text)) {
      // Counted no further than the rarest so far: a piece only matters if it is rarer still.
      const bound: number = rarest ? rarest.count : DENSE_GRAM + 1;
      const [row]: { n: number | string }[] = await this.db.manager.query(this.claimStatements.countGram, [gram, bound]);
      const count: number = Number(row.n);
      if (!rarest || count < rarest.count) rarest = { gram, count };
      if (rarest.count <= FEW_ENOUGH) break;
    }
    return rarest && rarest.count <= DENSE_GRAM ? rarest.gram : null;
  }

  lockById(manager: EntityManager, domainId: string): Promise<Domain | null> {
    return this.db.forUpdate(manager.createQueryBuilder(Domain, "d").where("d.id = :domainId", { domainId })).getOne();
  }

  lockClaimsOfName(manager: EntityManager, name: string): Promise<Domain[]> {
    return this.db.forUpdate(manager.createQueryBuilder(Domain, "d").where("d.name = :name", { name }).orderBy("d.id")).getMany();
  }

  async lockClaimsOfNames(manager: EntityManager, names: readonly string[]): Promise<Domain[]> {
    if (names.length === 0) return [];
    const { claimsOfNames, claimsOfNamesTail, domainReader } = this.claimStatements;
    const rows: Record<string, unknown>[] = await manager.query(`${claimsOfNames}${names.map(() => "?").join(", ")}${claimsOfNamesTail}`, [...names]);
    return rows.map((row) => domainReader.read(row));
  }

  async insert(manager: EntityManager, domain: NewClaim): Promise<Domain> {
    const row = manager.create(Domain, { ...domain, nameReversed: reversedName(domain.name) });
    await this.claimStatements.domainWriter.insert(manager, row);
    const grams = gramsOf(row.name);
    if (grams.length) await manager.query(this.claimStatements.insertGrams(grams.length), grams.flatMap((gram) => [gram, row.id]));
    return row;
  }

  async save(manager: EntityManager, domain: Domain): Promise<void> {
    await manager.save(domain);
  }

  async updateAll(manager: EntityManager, domains: readonly Domain[], columns?: readonly (keyof Domain)[]): Promise<void> {
    if (domains.length === 0) return;
    const { table, id } = this.claimStatements;
    const updatedColumns = columns ? this.claimStatements.columnsNamed(columns) : this.claimStatements.updatedColumns;
    const { driver } = this.db.dataSource;
    // preparePersistentValue applies the column's transformer, then the driver's own conversion (dates, JSON), as save() would.
    const value = (domain: Domain, column: ColumnMetadata) => driver.preparePersistentValue(column.getEntityValue(domain), column) ?? null;
    if (domains.length === 1) {
      const [domain] = domains;
      const sets = updatedColumns.map((c) => `${driver.escape(c.databaseName)} = ?`).join(", ");
      await manager.query(`UPDATE ${table} SET ${sets} WHERE ${id} = ?`, [...updatedColumns.map((c) => value(domain, c)), domain.id]);
      return;
    }
    // One statement for a group of checks: each column picks its row's value by id.
    const params: unknown[] = [];
    const whens = domains.map(() => "WHEN ? THEN ?").join(" ");
    const sets = updatedColumns.map((c) => {
      for (const domain of domains) params.push(domain.id, value(domain, c));
      return `${driver.escape(c.databaseName)} = CASE ${id} ${whens} END`;
    });
    params.push(...domains.map((domain) => domain.id));
    await manager.query(`UPDATE ${table} SET ${sets.join(", ")} WHERE ${id} IN (${domains.map(() => "?").join(", ")})`, params);
  }

  async delete(manager: EntityManager, domainId: string): Promise<void> {
    await manager.query(this.claimStatements.deleteGrams, [domainId]);
    await manager.delete(Domain, { id: domainId });
  }

  isVerifiedNameConflict(error: unknown): boolean {
    return isDuplicateKeyError(error, "UQ_domains_verified_name");
  }

  /** The lease helper over claims; it holds no state but where it works. */
  private claimLeases?: RowLeases<Domain>;
  private get leases(): RowLeases<Domain> {
    return (this.claimLeases ??= new RowLeases(this.db, this.clock, Domain));
  }

  /** The claims `query` wants, leased as db/lease.ts does it for every leased table. */
  leaseBatch(query: LeaseQuery, limit: number, leaseMs: number, lease: string): Promise<Domain[]> {
    const wanted: RowCondition =
      query.kind === "due"
        ? { sql: (c) => `${c("nextCheckAt")} <= :now` }
        : {
            sql: (c) => `${c("status")} = :verified AND (${c("lastCheckedAt")} IS NULL OR ${c("lastCheckedAt")} < :checkedBefore)`,
            params: { verified: DomainStatus.VERIFIED, checkedBefore: query.checkedBefore },
          };
    const order = query.kind === "due" ? "nextCheckAt" : "lastCheckedAt";
    return this.leases.claim({
      lease,
      leaseMs,
      wanted,
      picks: [(qb, c) => qb.orderBy(c(order), "ASC").addOrderBy(c("id"), "ASC").limit(limit)],
    });
  }

  releaseLease(manager: EntityManager, domainId: string): Promise<void> {
    return this.leases.clear(manager, domainId);
  }

  giveBackLeases(lease: string, ids: readonly string[]): Promise<number> {
    return this.leases.giveUp(lease, ids);
  }

  async unschedule(domainId: string, lease: string): Promise<void> {
    await this.leases.release(this.db.manager, domainId, lease, { nextCheckAt: null }, { status: In([DomainStatus.EXPIRED, DomainStatus.REVOKED]) });
  }

  lockUnwarnedExpiring(manager: EntityManager, now: Date, horizon: Date, limit: number): Promise<Domain[]> {
    // Lapsed by the horizon, not yet now: the TOKEN_LAPSED rule asked at two instants.
    const byHorizon = toSql(TOKEN_LAPSED, "d", horizon, "horizon");
    const byNow = toSql(TOKEN_LAPSED, "d", now, "now");
    const qb = manager
      .createQueryBuilder(Domain, "d")
      .where(byHorizon.sql, byHorizon.params)
      .andWhere(`NOT ${byNow.sql}`, byNow.params)
      .andWhere("d.tokenExpiryWarnedAt IS NULL")
      .orderBy("d.tokenExpiresAt", "ASC")
      .addOrderBy("d.id", "ASC")
      .limit(limit);
    return lockSkippingHeld(this.db, qb).getMany();
  }

  async markWarned(manager: EntityManager, domainId: string, at: Date): Promise<void> {
    await manager.update(Domain, { id: domainId }, { tokenExpiryWarnedAt: at });
  }

  pageOfLapsedTokens(now: Date, after: LapsedPosition | null, limit: number): Promise<Pick<Domain, "id" | "status" | "tokenExpiresAt">[]> {
    const lapsed = toSql(TOKEN_LAPSED, "d", now, "lapsed");
    const qb = this.db.manager
      .createQueryBuilder(Domain, "d")
      .select(["d.id", "d.status", "d.tokenExpiresAt"])
      .where(lapsed.sql, lapsed.params)
      // A scheduler holding the claim expires it itself.
      .andWhere(NOT_LEASED.sql((column) => `d.${column}`), { now });
    if (after) {
      qb.andWhere(
        "(d.status > :afterStatus OR (d.status = :afterStatus AND (d.tokenExpiresAt > :afterAt OR (d.tokenExpiresAt = :afterAt AND d.id > :afterId))))",
        { afterStatus: after.status, afterAt: after.at, afterId: after.id },
      );
    }
    // Ordered by expiry alone, the two statuses' ranges of the index would be merged by sorting every lapsed claim, for each page.
    return qb.orderBy("d.status", "ASC").addOrderBy("d.tokenExpiresAt", "ASC").addOrderBy("d.id", "ASC").limit(limit).getMany();
  }

  pageOfStale(cutoff: Date, afterId: string, limit: number): Promise<Pick<Domain, "id">[]> {
    const stale = toSql(STALE, "d", cutoff, "stale");
    return this.db.manager
      .createQueryBuilder(Domain, "d")
      .select(["d.id"])
      .where(stale.sql, stale.params)
      .andWhere("d.id > :afterId", { afterId })
      .orderBy("d.id", "ASC")
      .limit(limit)
      .getMany();
  }

  lockByIds(manager: EntityManager, ids: readonly string[]): Promise<Domain[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.forUpdate(manager.createQueryBuilder(Domain, "d").where("d.id IN (:...ids)", { ids: [...ids] }).orderBy("d.id", "ASC")).getMany();
  }

  async deleteByIds(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.createQueryBuilder().delete().from(DomainNameGram).where("domainId IN (:...ids)", { ids: [...ids] }).execute();
    await manager.createQueryBuilder().delete().from(Domain).where("id IN (:...ids)", { ids: [...ids] }).execute();
  }

  async writeExpired(manager: EntityManager, ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await manager
      .createQueryBuilder()
      .update(Domain)
      .set({ status: DomainStatus.EXPIRED, nextCheckAt: null, updatedAt: at })
      .where("id IN (:...ids)", { ids: [...ids] })
      .execute();
  }

  async findSubtreeClaims(manager: EntityManager, accountId: string, names: readonly string[]): Promise<Domain[]> {
    if (names.length === 0) return [];
    const { subtreeClaimsOfNames, domainReader } = this.claimStatements;
    const rows: Record<string, unknown>[] = await manager.query(`${subtreeClaimsOfNames}${names.map(() => "?").join(", ")})`, [accountId, DomainScope.SUBTREE, ...names]);
    return rows.map((row) => domainReader.read(row));
  }

  lockClaimsUnder(manager: EntityManager, accountId: string, name: string): Promise<Domain[]> {
    const qb = manager
      .createQueryBuilder(Domain, "d")
      .where(`d.accountId = :accountId AND ${RANGE_UNDER}`, { accountId, ...reversedRangeUnder(name) })
      .orderBy("d.id", "ASC");
    return this.db.forUpdate(qb).getMany();
  }

  lockInheritedFrom(manager: EntityManager, parentId: string): Promise<Domain[]> {
    return this.db.forUpdate(manager.createQueryBuilder(Domain, "d").where("d.inheritedFromId = :parentId", { parentId }).orderBy("d.id", "ASC")).getMany();
  }

  async namesVerifiedElsewhere(manager: EntityManager, accountId: string, names: readonly string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const rows = await manager
      .createQueryBuilder(Domain, "d")
      .select(["d.verifiedName"])
      .where("d.verifiedName IN (:...names) AND d.accountId <> :accountId", { names: [...names], accountId })
      .getMany();
    return rows.map((row) => row.verifiedName!);
  }

  async countVerifiedUnderElsewhere(manager: EntityManager, accountId: string, name: string): Promise<number> {
    return manager
      .createQueryBuilder(Domain, "d")
      .where(`${RANGE_UNDER} AND d.verifiedName IS NOT NULL AND d.accountId <> :accountId`, { ...reversedRangeUnder(name), accountId })
      .getCount();
  }

  async releaseLeases(manager: EntityManager, ids: readonly string[]): Promise<void> {
    // The lease columns are db/lease.ts's to write; a leased batch is a scheduler batch, so a statement each costs little.
    for (const id of ids) await this.leases.clear(manager, id);
  }
}
