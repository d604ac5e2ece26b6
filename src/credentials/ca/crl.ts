import type { Logger } from "pino";
import { IsNull, MoreThan, Not } from "typeorm";
import type { CertificateAuthority } from "./certificate-authority";
import { Certificate, CertificateRevocationReason } from "../certificates/certificate.entity";
import { X509, loadX509 } from "../x509";
import type { Clock } from "../../shared/clock";
import type { Database } from "../../db/database";
import { nextCrlNumber } from "./crl-number";

/** RFC 5280 reason codes; an owner's revocation carries none ("unspecified" SHOULD NOT be sent). */
const reasonCodes = (x509: typeof X509): Record<CertificateRevocationReason, X509.X509CrlReason | undefined> => ({
  DOMAIN_REMOVED: x509.X509CrlReason.cessationOfOperation,
  DOMAIN_NOT_VERIFIED: x509.X509CrlReason.privilegeWithdrawn,
  REVOKED_BY_OWNER: undefined,
});

interface BuiltCrl {
  der: Buffer;
  /** Which revocations it holds: their count and the latest time, as the database says. */
  stamp: string;
  /** Rebuilt after half its validity, so a client never holds one past nextUpdate without a fresh one to fetch. */
  refreshAt: number;
}

export interface CrlSettings {
  /** CRL_VALIDITY_HOURS: from thisUpdate to nextUpdate. */
  validityMs: number;
  /** CRL_REFRESH_SECONDS: how often the database is asked whether the CRL must be rebuilt. */
  refreshMs: number;
  /** Told when a background rebuild fails. */
  logger?: Logger;
}

/** What a publisher has done since it started: for tests and operators. */
export interface CrlStats {
  builds: number;
  /** Most builds ever running at once: one by design. */
  maxConcurrentBuilds: number;
  /** Checks or builds that failed; the last good CRL was served meanwhile. */
  failures: number;
  lastBuildMs: number | null;
}

/**
 * The CRL served at /crl. Requests are answered from the last good CRL and never wait for a build
 * (only the very first, when none exists yet): building a long CRL takes seconds, and anonymous
 * requests must not be able to start one. A background loop, started with that first CRL, asks
 * the database every CRL_REFRESH_SECONDS for a cheap stamp of its revocations (count and latest
 * time) and rebuilds, one build at a time, when it changed or the CRL is half way through its
 * validity. Revocations are read from the database, so those made by any instance sharing it
 * appear too, within CRL_REFRESH_SECONDS plus two builds (one may be under way when they land).
 */
export class CrlPublisher {
  private cached: BuiltCrl | null = null;
  private first: Promise<void> | null = null;
  private refreshing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running = 0;
  private readonly counters: CrlStats = { builds: 0, maxConcurrentBuilds: 0, failures: 0, lastBuildMs: null };

  constructor(
    private readonly db: Database,
    private readonly ca: CertificateAuthority,
    private readonly clock: Clock,
    private readonly settings: CrlSettings,
  ) {}

  async current(): Promise<Buffer> {
    if (!this.cached) await this.firstBuild();
    return this.cached!.der;
  }

  stats(): CrlStats {
    return { ...this.counters };
  }

  /** Ends the background loop; the last CRL is still served. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Requests arriving before the first CRL share its build; a failure is not kept, the next request tries again. */
  private firstBuild(): Promise<void> {
    this.first ??= this.refresh()
      .then(() => this.schedule())
      .finally(() => (this.first = null));
    return this.first;
  }

  /** One check, and a build when needed; a check already under way is joined, so builds never overlap. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.checkAndBuild().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async checkAndBuild(): Promise<void> {
    const stamp = await this.revocationStamp();
    const cached = this.cached;
    if (cached && cached.stamp === stamp && this.clock.now().getTime() < cached.refreshAt) return;
    this.cached = await this.build(stamp);
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.settings.refreshMs);
    // The loop never holds a process open; the database closing ends it (see tick).
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (this.stopped || !this.db.dataSource.isInitialized) return;
    try {
      await this.refresh();
    } catch (err) {
      // The last good CRL stays served; the next tick tries again.
      this.counters.failures++;
      this.settings.logger?.warn({ err }, "CRL rebuild failed; the last good CRL is still served");
    }
    this.schedule();
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

  private async build(stamp: string): Promise<BuiltCrl> {
    const started = Date.now();
    this.running++;
    this.counters.builds++;
    this.counters.maxConcurrentBuilds = Math.max(this.counters.maxConcurrentBuilds, this.running);
    try {
      return await this.sign(stamp);
    } finally {
      this.running--;
      this.counters.lastBuildMs = Date.now() - started;
    }
  }

  private async sign(stamp: string): Promise<BuiltCrl> {
    const [x509, { AsnConvert }, { CRLNumber, id_ce_cRLNumber }] = await Promise.all([loadX509(), import("@peculiar/asn1-schema"), import("@peculiar/asn1-x509")]);
    const reasons = reasonCodes(x509);
    // Drawn before thisUpdate is read, so numbers and times increase together.
    const crlNumber = await nextCrlNumber(this.db, this.clock.now());
    const thisUpdate = new Date(Math.floor(this.clock.now().getTime() / 1000) * 1000);
    // An expired certificate fails validation by its dates alone, so RFC 5280 5.1.2.6 lets its entry go: the CRL stays small.
    const revoked = await this.db.manager.find(Certificate, {
      select: { serialNumber: true, revokedAt: true, revocationReason: true },
      where: { revokedAt: Not(IsNull()), notAfter: MoreThan(thisUpdate) },
      order: { revokedAt: "ASC" },
    });
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.ca.certificate.subjectName,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + this.settings.validityMs),
      signingKey: this.ca.signingKey,
      signingAlgorithm: this.ca.signingAlgorithm,
      entries: revoked.map((c) => ({
        serialNumber: c.serialNumber,
        revocationDate: c.revokedAt!,
        reason: c.revocationReason ? reasons[c.revocationReason] : undefined,
      })),
      extensions: [
        new x509.AuthorityKeyIdentifierExtension(this.ca.keyId),
        // Unique and increasing across every instance sharing the database, as RFC 5280 5.2.3 wants.
        new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(crlNumber))),
      ],
    });
    return { der: Buffer.from(crl.rawData), stamp, refreshAt: thisUpdate.getTime() + this.settings.validityMs / 2 };
  }
}
