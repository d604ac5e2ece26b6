import DataLoader from "dataloader";
import { EntityManager, In } from "typeorm";
import { v7 as uuidv7 } from "uuid";
import { AuditEntry } from "./audit-entry.entity";
import { Actor, AuditAction, AuditReason } from "./audit.types";
import type { Clock } from "../shared/clock";
import { Principal, canSee } from "../shared/principal";
import type { Database } from "../db/database";
import type { DomainStatus } from "../shared/domain-status";
import type { VerificationCheckData } from "../verification/types";
import { Connection, PageArgs, Position, toConnection } from "../shared/pagination";
import { SortOrder, afterCursor, paginate } from "../db/pagination";
import { RowReader, rowReader } from "../db/row-reader";
import { RowWriter, rowWriter } from "../db/row-writer";

export interface AuditRecord {
  accountId: string;
  /** What the entry is about; null for account-wide entries (an API key with the account's full access). */
  domain: { id: string; name: string } | null;
  action: AuditAction;
  actor: Actor;
  message: string;
  previousStatus?: DomainStatus | null;
  newStatus?: DomainStatus | null;
  check?: VerificationCheckData | null;
  requestId?: string | null;
  /** DOMAIN_REVOKED: why. */
  reason?: AuditReason | null;
  /** When a failing verified domain will be revoked if nothing changes. */
  graceEndsAt?: Date | null;
}

export interface AuditFilter {
  accountId: string;
  /** Only entries about this domain (a local id); entries of removed domains match too. */
  domainId?: string | null;
  action?: AuditAction | null;
}

/**
 * Runs inside the writer's transaction, after the entries are inserted, with every entry one
 * write recorded (one for a single change, many for a batch), in their order: whatever it
 * writes through `manager` commits or rolls back with the changes and their entries. Features
 * that react to state changes (events, credentials) hook in here instead of into each writer,
 * and do their work once per batch rather than once per entry.
 */
export type AuditListener = (manager: EntityManager, entries: readonly AuditEntry[]) => Promise<void>;

/** Entries per INSERT of a batch: keeps a statement well under max_allowed_packet, checks with their evidence included. */
export const ENTRIES_PER_INSERT = 500;

/** One domain's page of entries; `total` counts all of them, null when the page started after a cursor. */
interface DomainPage {
  entries: AuditEntry[];
  total: number | null;
}

/** The append-only audit log. Writers pass the transaction's manager, so an entry commits or rolls back with its change. */
export class AuditLog {
  private readonly listeners: AuditListener[] = [];
  private entryReader?: RowReader<AuditEntry>;
  /** Every change writes an entry: one prepared INSERT instead of TypeORM's insert pipeline, which cost more than the INSERT. */
  private entryWriter?: RowWriter<AuditEntry>;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Adds a listener called with the entries of every write from now on, in their transaction. */
  addListener(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  async record(manager: EntityManager, record: AuditRecord): Promise<AuditEntry> {
    return (await this.recordMany(manager, [record]))[0];
  }

  /**
   * Writes the records as entries in their order (multi-row INSERTs), then gives the listeners
   * the whole batch: a batch of changes pays for each listener's queries once, not per entry.
   * The entries share one time and take their ids in order, so (createdAt, id) keeps the order given.
   */
  async recordMany(manager: EntityManager, records: readonly AuditRecord[]): Promise<AuditEntry[]> {
    if (records.length === 0) return [];
    const createdAt = this.clock.now();
    const entries = records.map((record) => entryOf(manager, record, createdAt));
    const writer = (this.entryWriter ??= rowWriter(this.db.dataSource, AuditEntry));
    for (let i = 0; i < entries.length; i += ENTRIES_PER_INSERT) await writer.insertMany(manager, entries.slice(i, i + ENTRIES_PER_INSERT));
    for (const listener of this.listeners) await listener(manager, entries);
    return entries;
  }

  /** An entry the caller may see (its account's, its key's domain's), or null. */
  async findOwned(principal: Principal, entryId: string): Promise<AuditEntry | null> {
    const entry = await this.findInAccount(principal.accountId, entryId);
    return entry && canSee(principal, entry) ? entry : null;
  }

  /** An entry of the account, whatever its domain (what a delivery to the account's endpoint carries). */
  findInAccount(accountId: string, entryId: string): Promise<AuditEntry | null> {
    return this.db.manager.findOneBy(AuditEntry, { id: entryId, accountId });
  }

  async list(filter: AuditFilter, page: PageArgs, order: SortOrder = "DESC"): Promise<Connection<AuditEntry>> {
    return paginate(() => this.filtered(filter), "a", page, order);
  }

  /** Up to `limit` entries after `position`, oldest first, without a count: what subscriptions read. */
  async listAfter(filter: AuditFilter, position: Position | null, limit: number): Promise<AuditEntry[]> {
    return afterCursor(this.filtered(filter), "a", position, "ASC")
      .orderBy("a.createdAt", "ASC")
      .addOrderBy("a.id", "ASC")
      .take(limit)
      .getMany();
  }

  /** The newest entry matching `filter`, where a subscription without a cursor starts. */
  async newest(filter: AuditFilter): Promise<AuditEntry | null> {
    return this.filtered(filter).orderBy("a.createdAt", "DESC").addOrderBy("a.id", "DESC").getOne();
  }

  private filtered(filter: AuditFilter) {
    const qb = this.db.manager.createQueryBuilder(AuditEntry, "a").where("a.accountId = :accountId", { accountId: filter.accountId });
    if (filter.domainId) qb.andWhere("a.domainId = :domainId", { domainId: filter.domainId });
    if (filter.action) qb.andWhere("a.action = :action", { action: filter.action });
    return qb;
  }

  /**
   * Per-request loaders for Domain.auditLog: one statement for the pages of every domain
   * in the response, their totals included (a window function per domain); a second one
   * for the totals only when the pages start after a cursor, which the window cannot count.
   * `batch: false` only for the benchmark's control run, which shows what batching saves.
   */
  createLoaders(batch = true) {
    const pages = new Map<string, DataLoader<string, DomainPage>>();
    const pageLoader = (page: PageArgs) => {
      const key = `${page.first}:${page.after ? `${page.after.createdAt.toISOString()}/${page.after.id}` : ""}`;
      let loader = pages.get(key);
      if (!loader) {
        loader = new DataLoader((domainIds: readonly string[]) => this.pagesByDomain(domainIds, page), { batch });
        pages.set(key, loader);
      }
      return loader;
    };
    const counts = new DataLoader((domainIds: readonly string[]) => this.countsByDomain(domainIds), { batch });
    return {
      async domainAuditLog(domainId: string, page: PageArgs): Promise<Connection<AuditEntry>> {
        if (!page.after) {
          const { entries, total } = await pageLoader(page).load(domainId);
          return toConnection(entries, page, total!);
        }
        const [{ entries }, total] = await Promise.all([pageLoader(page).load(domainId), counts.load(domainId)]);
        return toConnection(entries, page, total);
      },
    };
  }

  private async pagesByDomain(domainIds: readonly string[], page: PageArgs): Promise<DomainPage[]> {
    if (domainIds.length === 1) return [await this.pageOfOneDomain(domainIds[0], page)];
    const reader = (this.entryReader ??= rowReader(this.db.dataSource, AuditEntry));
    const after = this.afterCursor(page);
    const params: unknown[] = [...domainIds, ...after.params, page.first + 1];
    const cursorCondition = after.sql;
    // Without a cursor the window sees every entry of the domain, so it counts them too.
    const total = page.after ? "" : ", COUNT(*) OVER (PARTITION BY domainId) AS total";
    const rows: Record<string, unknown>[] = await this.db.manager.query(
      `SELECT ${reader.columns}${page.after ? "" : ", total"} FROM (
         SELECT ${reader.columns}, ROW_NUMBER() OVER (PARTITION BY domainId ORDER BY createdAt DESC, id DESC) AS position${total}
         FROM audit_entries
         WHERE domainId IN (${domainIds.map(() => "?").join(", ")})${cursorCondition}
       ) ranked WHERE position <= ? ORDER BY createdAt DESC, id DESC`,
      params,
    );
    const byDomain = new Map<string, DomainPage>(domainIds.map((id) => [id, { entries: [], total: page.after ? null : 0 }]));
    for (const row of rows) {
      const domainPage = byDomain.get(row.domainId as string)!;
      domainPage.entries.push(reader.read(row));
      if (domainPage.total !== null) domainPage.total = Number(row.total);
    }
    return domainIds.map((id) => byDomain.get(id)!);
  }

  /**
   * One domain's page (domain(id), or a list of one) by its index range alone, so it costs the
   * same however long the log behind it is; the window the batch uses reads the whole log. Not
   * a UNION of such ranges for batches: MariaDB 10.11 crashed freeing the temporary table of a
   * UNION of them joined to their counts, under concurrent load.
   */
  private async pageOfOneDomain(domainId: string, page: PageArgs): Promise<DomainPage> {
    const reader = (this.entryReader ??= rowReader(this.db.dataSource, AuditEntry));
    // Without a cursor the total comes in the same statement, counted once from the index.
    const after = this.afterCursor(page);
    const params: unknown[] = [...(page.after ? [domainId] : [domainId, domainId]), ...after.params, page.first + 1];
    const cursorCondition = after.sql;
    const total = page.after ? "" : ", (SELECT COUNT(*) FROM audit_entries WHERE domainId = ?) AS total";
    const rows: Record<string, unknown>[] = await this.db.manager.query(
      `SELECT ${reader.columns}${total} FROM audit_entries WHERE domainId = ?${cursorCondition} ORDER BY createdAt DESC, id DESC LIMIT ?`,
      params,
    );
    return { entries: rows.map((row) => reader.read(row)), total: page.after ? null : Number(rows[0]?.total ?? 0) };
  }

  /** The entries strictly older than the page's cursor, in (createdAt, id) order; nothing without one. */
  private afterCursor(page: PageArgs): { sql: string; params: unknown[] } {
    if (!page.after) return { sql: "", params: [] };
    const at = this.db.dateParameter(page.after.createdAt);
    return { sql: " AND (createdAt < ? OR (createdAt = ? AND id < ?))", params: [at, at, page.after.id] };
  }

  private async countsByDomain(domainIds: readonly string[]): Promise<number[]> {
    const rows: { domainId: string; total: string | number }[] = await this.db.manager
      .createQueryBuilder(AuditEntry, "a")
      .select("a.domainId", "domainId")
      .addSelect("COUNT(*)", "total")
      .where({ domainId: In([...domainIds]) })
      .groupBy("a.domainId")
      .getRawMany();
    const totals = new Map(rows.map((r) => [r.domainId, Number(r.total)]));
    return domainIds.map((id) => totals.get(id) ?? 0);
  }
}

function entryOf(manager: EntityManager, record: AuditRecord, createdAt: Date): AuditEntry {
  return manager.create(AuditEntry, {
    id: uuidv7(),
    accountId: record.accountId,
    domainId: record.domain?.id ?? null,
    domainName: record.domain?.name ?? "",
    action: record.action,
    actorType: record.actor.type,
    actorId: record.actor.id,
    actorEmail: record.actor.email,
    message: record.message,
    previousStatus: record.previousStatus ?? null,
    newStatus: record.newStatus ?? null,
    check: record.check ?? null,
    requestId: record.requestId ?? null,
    reason: record.reason ?? null,
    graceEndsAt: record.graceEndsAt ?? null,
    createdAt,
  });
}

declare module "../graphql/context" {
  interface RequestLoaders {
    audit: ReturnType<AuditLog["createLoaders"]>;
  }
}

declare module "../graphql/feature-module" {
  interface FeatureHooks {
    /** Run with every batch of audit entries, in the transaction that writes them. */
    auditListeners?: AuditListener[];
  }
}
