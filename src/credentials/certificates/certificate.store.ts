import { EntityManager, In, IsNull, MoreThan } from "typeorm";
import { Certificate, CertificateRevocationReason } from "./certificate.entity";
import { createDomainCertificatesLoader } from "./certificate.loaders";
import type { Database } from "../../db/database";
import { paginate } from "../../db/pagination";
import { lockVisible } from "../../accounts/owned-rows";
import type { Principal } from "../../shared/principal";
import type { Connection, PageArgs } from "../../shared/pagination";

/** Domain.certificates for one account, batched per request. */
export type DomainCertificatesLoader = (domainId: string, page: PageArgs) => Promise<Connection<Certificate>>;

/** Every query about client certificates. Methods taking a manager run in the caller's transaction; the others run on their own. */
export interface CertificateStore {
  /** The domain's certificates neither revoked nor expired at `now`. */
  countActive(manager: EntityManager, domainId: string, now: Date): Promise<number>;
  insert(manager: EntityManager, certificate: Certificate): Promise<Certificate>;
  /** The principal's certificate, locked; null for a missing id, another account's and one outside the principal's scope alike. */
  lockVisible(manager: EntityManager, principal: Principal, certificateId: string): Promise<Certificate | null>;
  /** The domains' certificates not revoked, oldest first. */
  unrevokedOfDomains(manager: EntityManager, domainIds: readonly string[]): Promise<Certificate[]>;
  /** Revokes the certificates, in one statement; one revoked already is left as it is. */
  markRevoked(manager: EntityManager, certificateIds: readonly string[], at: Date, reason: CertificateRevocationReason): Promise<void>;
  /** The account's certificates (of one domain when `domainId` is given) in (createdAt, id) order, newest first. */
  page(accountId: string, domainId: string | null, page: PageArgs): Promise<Connection<Certificate>>;
  findInAccount(accountId: string, certificateId: string): Promise<Certificate | null>;
  findByFingerprint(fingerprintSha256: string): Promise<Certificate | null>;
  domainCertificatesLoader(accountId: string): DomainCertificatesLoader;
}

export class SqlCertificateStore implements CertificateStore {
  constructor(private readonly db: Database) {}

  countActive(manager: EntityManager, domainId: string, now: Date): Promise<number> {
    return manager.countBy(Certificate, { domainId, revokedAt: IsNull(), notAfter: MoreThan(now) });
  }

  async insert(manager: EntityManager, certificate: Certificate): Promise<Certificate> {
    const row = manager.create(Certificate, certificate);
    await manager.insert(Certificate, row);
    return row;
  }

  lockVisible(manager: EntityManager, principal: Principal, certificateId: string): Promise<Certificate | null> {
    return lockVisible(this.db, manager, Certificate, principal, certificateId, (c) => c.domainId);
  }

  async unrevokedOfDomains(manager: EntityManager, domainIds: readonly string[]): Promise<Certificate[]> {
    if (domainIds.length === 0) return [];
    return manager.find(Certificate, { where: { domainId: In([...domainIds]), revokedAt: IsNull() }, order: { createdAt: "ASC", id: "ASC" } });
  }

  async markRevoked(manager: EntityManager, certificateIds: readonly string[], at: Date, reason: CertificateRevocationReason): Promise<void> {
    if (certificateIds.length === 0) return;
    await manager.update(Certificate, { id: In([...certificateIds]), revokedAt: IsNull() }, { revokedAt: at, revocationReason: reason });
  }

  page(accountId: string, domainId: string | null, page: PageArgs): Promise<Connection<Certificate>> {
    const query = () => {
      const qb = this.db.manager.createQueryBuilder(Certificate, "c").where("c.accountId = :accountId", { accountId });
      if (domainId) qb.andWhere("c.domainId = :onlyDomain", { onlyDomain: domainId });
      return qb;
    };
    return paginate(query, "c", page);
  }

  findInAccount(accountId: string, certificateId: string): Promise<Certificate | null> {
    return this.db.manager.findOneBy(Certificate, { id: certificateId, accountId });
  }

  findByFingerprint(fingerprintSha256: string): Promise<Certificate | null> {
    return this.db.manager.findOneBy(Certificate, { fingerprintSha256 });
  }

  domainCertificatesLoader(accountId: string): DomainCertificatesLoader {
    return createDomainCertificatesLoader(this.db, accountId);
  }
}
