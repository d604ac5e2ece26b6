import { detachedFromRequest } from "../../shared/deadline";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Logger } from "pino";
import type { CertificateAuthority } from "./certificate-authority";
import { Certificate, CertificateRevocationReason } from "../certificates/certificate.entity";
import type { Clock } from "../../shared/clock";
import type { Database } from "../../db/database";
import { nextCrlNumber } from "./crl-number";

/** Loaded with the first CRL: the asn1 packages are over 100 ms of a start otherwise. */
type Encoding = typeof import("./crl-encoding");
type Signer = Awaited<ReturnType<Encoding["crlSignerFor"]>>;

/** RFC 5280 reason codes (cessationOfOperation, privilegeWithdrawn); an owner's revocation carries none ("unspecified" SHOULD NOT be sent). */
const REASON_CODES: Record<CertificateRevocationReason, number | undefined> = {
  DOMAIN_REMOVED: 5,
  DOMAIN_NOT_VERIFIED: 9,
  REVOKED_BY_OWNER: undefined,
};

/** Rows read by one query, and entries encoded between two turns of the event loop: a few milliseconds of work. */
const DEFAULT_PAGE_SIZE = 2000;

interface BuiltCrl {
  der: Buffer;
  /** Which revocations it holds: their count and the latest time, as the database says. */
  stamp: string;
  /** Rebuilt after half its validity, so a client never holds one past nextUpdate without a fresh one to fetch. */
  refreshAt: number;
  nextUpdate: number;
}

export interface CrlSettings {
  /** CRL_VALIDITY_HOURS: from thisUpdate to nextUpdate. */
  validityMs: number;
  /** CRL_REFRESH_SECONDS: how often the database is asked whether the CRL must be rebuilt. */
  refreshMs: number;
  /** CRL_MIN_REBUILD_SECONDS: the shortest time between the starts of two builds. */
  minRebuildMs: number;
  /** Rows per query and entries per slice of encoding. */
  pageSize?: number;
  /** Told when a background rebuild fails. */
  logger?: Logger;
}

/** What a publisher has done since it started: for tests, benchmarks and operators. */
export interface CrlStats {
  builds: number;
  /** Most builds ever running at once: one by design. */
  maxConcurrentBuilds: number;
  /** Checks or builds that failed; the last good CRL was served meanwhile. */
  failures: number;
  lastBuildMs: number | null;
  /** Entries in the last CRL built. */
  lastEntries: number | null;
  /** The longest the last build held the event loop at once. */
  lastLongestSliceMs: number | null;
}

/**
 * The CRL served at /crl. Requests are answered from the last CRL while it is valid, and never
 * wait for a build then: only the first request of a process, or one after the CRL expired,
 * waits. A build reads the revocations a page at a time and encodes each page between turns of
 * the event loop, so requests keep being answered during it.
 *
 * Builds start at most once per CRL_MIN_REBUILD_SECONDS. A revocation committed here marks the
 * CRL stale at once, and one by another instance sharing the database is seen by the check
 * every CRL_REFRESH_SECONDS (a stamp of the revocations: count and latest time). A stale CRL
 * is rebuilt as soon as the last build started CRL_MIN_REBUILD_SECONDS ago, so a revocation is
 * in /crl within CRL_MIN_REBUILD_SECONDS plus a build here, and within the larger of the two
 * settings plus a build from another instance. An unchanged CRL is re-signed after half its validity.
 */
export class CrlPublisher {
  private cached: BuiltCrl | null = null;
  private building: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerDue = Infinity;
  private looping = false;
  private stopped = false;
  private stale = false;
  private lastBuildStarted = -Infinity;
  private running = 0;
  private signer: Signer | null = null;
  private readonly counters: CrlStats = { builds: 0, maxConcurrentBuilds: 0, failures: 0, lastBuildMs: null, lastEntries: null, lastLongestSliceMs: null };

  constructor(
    private readonly db: Database,
    private readonly ca: CertificateAuthority,
    private readonly clock: Clock,
    private readonly settings: CrlSettings,
  ) {}

  /** The last CRL while it is valid; otherwise (none yet, or expired) the one a build now makes. */
  async current(): Promise<Buffer> {
    const cached = this.cached;
    if (cached && this.clock.now().getTime() < cached.nextUpdate) return cached.der;
    await this.build();
    this.startLoop();
    return this.cached!.der;
  }

  /** A revocation has committed: the CRL takes it in within CRL_MIN_REBUILD_SECONDS. */
  markStale(): void {
    this.stale = true;
    if (this.looping && !this.building) this.schedule(this.rebuildDelay());
  }

  stats(): CrlStats {
    return { ...this.counters };
  }

  /** Ends the background loop; the last CRL is still served. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private startLoop(): void {
    if (this.looping || this.stopped) return;
    this.looping = true;
    this.schedule(this.stale ? this.rebuildDelay() : this.settings.refreshMs);
  }

  /** How long until a build may start: CRL_MIN_REBUILD_SECONDS after the last one started. */
  private rebuildDelay(): number {
    return Math.max(0, this.lastBuildStarted + this.settings.minRebuildMs - performance.now());
  }

  /** Arms the loop's timer for `delayMs`, unless it is already due sooner. */
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const due = performance.now() + delayMs;
    if (this.timer && this.timerDue <= due) return;
    this.clearTimer();
    this.timerDue = due;
    // The first /crl request may start the loop: its ticks must not inherit that request's deadline.
    this.timer = detachedFromRequest(() => setTimeout(() => void this.tick(), delayMs));
    // The loop never holds a process open; the database closing ends it (see tick).
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Infinity;
  }

  private async tick(): Promise<void> {
    this.timer = null;
    this.timerDue = Infinity;
    if (this.stopped || !this.db.dataSource.isInitialized) return;
    let failed = false;
    try {
      if (!this.stale) await this.checkStale();
      if (this.stale && this.rebuildDelay() === 0) await this.build();
    } catch (err) {
      // The last good CRL stays served; the next tick tries again.
      failed = true;
      this.counters.failures++;
      this.settings.logger?.warn({ err }, "CRL rebuild failed; the last good CRL is still served");
    }
    this.schedule(this.stale ? Math.max(this.rebuildDelay(), failed ? this.settings.refreshMs : 0) : this.settings.refreshMs);
  }

  /** Stale when another instance revoked (the stamp moved) or the CRL is half way through its validity. */
  private async checkStale(): Promise<void> {
    const cached = this.cached;
    if (!cached || this.clock.now().getTime() >= cached.refreshAt || (await this.revocationStamp()) !== cached.stamp) this.stale = true;
  }

  /** One build at a time: a build under way is joined. */
  private build(): Promise<void> {
    this.building ??= this.buildOnce().finally(() => (this.building = null));
    return this.building;
  }

  private async buildOnce(): Promise<void> {
    // Revocations committed from here on may miss this build, so they mark the CRL stale again.
    this.stale = false;
    this.lastBuildStarted = performance.now();
    this.running++;
    this.counters.builds++;
    this.counters.maxConcurrentBuilds = Math.max(this.counters.maxConcurrentBuilds, this.running);
    try {
      this.cached = await this.sign();
      // Revoked while this build ran, which may have missed it: the next build is due on time.
      if (this.stale && this.looping) this.schedule(this.rebuildDelay());
    } catch (error) {
      this.stale = true;
      throw error;
    } finally {
      this.running--;
      this.counters.lastBuildMs = performance.now() - this.lastBuildStarted;
    }
  }

  private async sign(): Promise<BuiltCrl> {
    const encoding: Encoding = await import("./crl-encoding");
    this.signer ??= await encoding.crlSignerFor(this.ca);
    const stamp = await this.revocationStamp();
    // Drawn before thisUpdate is read, so numbers and times increase together.
    const crlNumber = await nextCrlNumber(this.db, this.clock.now());
    const thisUpdate = new Date(Math.floor(this.clock.now().getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + this.settings.validityMs);
    const slices = new SliceTimer();
    const encoder = new encoding.RevokedEntryEncoder();
    const chunks: Buffer[] = [];
    let entries = 0;
    for await (const page of this.revokedPages(thisUpdate)) {
      chunks.push(slices.time(() => Buffer.concat(page.map((row) => encoder.encode(entryOf(row))))));
      entries += page.length;
      await nextTurn();
    }
    const frame = encoding.crlFrameFor(this.ca, { thisUpdate, nextUpdate, crlNumber });
    const tbs = slices.time(() => encoding.tbsCertList(frame, this.signer!.algorithm, chunks));
    const der = await encoding.signCertificateList(tbs, this.signer);
    this.counters.lastEntries = entries;
    this.counters.lastLongestSliceMs = slices.longestMs;
    return { der, stamp, refreshAt: thisUpdate.getTime() + this.settings.validityMs / 2, nextUpdate: nextUpdate.getTime() };
  }

  /**
   * Revoked certificates still valid at `thisUpdate`, in (revokedAt, id) order, a page per
   * query that starts after the last row of the one before, the next query running while a page
   * is encoded. An expired certificate fails validation by its dates alone, so RFC 5280 5.1.2.6
   * lets its entry go: the CRL stays small.
   */
  private async *revokedPages(thisUpdate: Date): AsyncGenerator<RevokedRow[]> {
    const pageSize = this.settings.pageSize ?? DEFAULT_PAGE_SIZE;
    let next: Promise<RevokedRow[]> | null = this.revokedPage(thisUpdate, null, pageSize);
    while (next) {
      const page: RevokedRow[] = await next;
      const last = page[page.length - 1];
      next = page.length === pageSize ? this.revokedPage(thisUpdate, last, pageSize) : null;
      if (page.length) yield page;
    }
  }

  /** Raw rows, their dates read as TypeORM reads them: making entities cost more than encoding them. */
  private async revokedPage(thisUpdate: Date, after: RevokedRow | null, pageSize: number): Promise<RevokedRow[]> {
    const query = this.db.manager
      .createQueryBuilder(Certificate, "c")
      .select("c.id", "id")
      .addSelect("c.serialNumber", "serialNumber")
      .addSelect("c.revokedAt", "revokedAt")
      .addSelect("c.revocationReason", "revocationReason")
      .where("c.revokedAt IS NOT NULL")
      .andWhere("c.notAfter > :thisUpdate", { thisUpdate: this.db.dateParameter(thisUpdate) })
      .orderBy("c.revokedAt", "ASC")
      .addOrderBy("c.id", "ASC")
      .limit(pageSize);
    if (after) {
      // The first condition alone lets the revokedAt index bound the scan.
      query.andWhere("c.revokedAt >= :at AND (c.revokedAt > :at OR c.id > :id)", { at: this.db.dateParameter(after.revokedAt), id: after.id });
    }
    const driver = this.db.dataSource.driver;
    const revokedAt = this.db.dataSource.getMetadata(Certificate).findColumnWithPropertyName("revokedAt")!;
    const rows: (Omit<RevokedRow, "revokedAt"> & { revokedAt: unknown })[] = await query.getRawMany();
    return rows.map((row) => ({ ...row, revokedAt: driver.prepareHydratedValue(row.revokedAt, revokedAt) as Date }));
  }

  private async revocationStamp(): Promise<string> {
    const row: { total: string | number; latest: unknown } | undefined = await this.db.manager
      .createQueryBuilder(Certificate, "c")
      .select("COUNT(*)", "total")
      .addSelect("MAX(c.revokedAt)", "latest")
      .where("c.revokedAt IS NOT NULL")
      .getRawOne();
    return `${Number(row?.total ?? 0)}/${String(row?.latest ?? "")}`;
  }
}

interface RevokedRow {
  id: string;
  serialNumber: string;
  revokedAt: Date;
  revocationReason: CertificateRevocationReason | null;
}

function entryOf(row: RevokedRow) {
  return { serialNumber: row.serialNumber, revokedAt: row.revokedAt, reason: row.revocationReason ? REASON_CODES[row.revocationReason] : undefined };
}

/** The longest of the synchronous stretches it timed. */
class SliceTimer {
  longestMs = 0;

  time<T>(work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.longestMs = Math.max(this.longestMs, performance.now() - started);
    }
  }
}
