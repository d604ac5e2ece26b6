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

/**
 * The CRL served at /crl. Revocations are read from the database, not from this process's memory:
 * every request compares a cheap stamp (count and latest revocation time) with the one the cached
 * CRL was built from, so a revocation made by any instance sharing the database is in the next CRL.
 */
export class CrlPublisher {
  private cached: BuiltCrl | null = null;
  private building: Promise<BuiltCrl> | null = null;

  constructor(
    private readonly db: Database,
    private readonly ca: CertificateAuthority,
    private readonly clock: Clock,
    private readonly validityMs: number,
  ) {}

  async current(): Promise<Buffer> {
    const stamp = await this.revocationStamp();
    const cached = this.cached;
    if (cached && cached.stamp === stamp && this.clock.now().getTime() < cached.refreshAt) return cached.der;
    // One build at a time; requests arriving meanwhile share it, unless it predates what they saw.
    this.building ??= this.build(stamp).finally(() => (this.building = null));
    const built = await this.building;
    return built.stamp === stamp ? built.der : (await this.build(stamp)).der;
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
      nextUpdate: new Date(thisUpdate.getTime() + this.validityMs),
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
    const built = { der: Buffer.from(crl.rawData), stamp, refreshAt: thisUpdate.getTime() + this.validityMs / 2 };
    this.cached = built;
    return built;
  }
}
