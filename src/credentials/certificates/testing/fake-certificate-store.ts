import type { EntityManager } from "typeorm";
import { Certificate, CertificateRevocationReason } from "../certificate.entity";
import type { CertificateStore, DomainCertificatesLoader } from "../certificate.store";
import { FakeTable, fakePage } from "../../../db/testing/fake-table";
import { Principal, canSee } from "../../../shared/principal";
import type { Connection, PageArgs } from "../../../shared/pagination";

/** CertificateStore in memory. Row locks are not modelled: FakeDatabase runs transactions one at a time. */
export class FakeCertificateStore implements CertificateStore {
  readonly table = new FakeTable<Certificate>((c) => Object.assign(new Certificate(), c));

  async countActive(_manager: EntityManager, domainId: string, now: Date): Promise<number> {
    return this.table.count((c) => c.domainId === domainId && !c.revokedAt && c.notAfter.getTime() > now.getTime());
  }

  async insert(_manager: EntityManager, certificate: Certificate): Promise<Certificate> {
    this.table.put(certificate);
    return Object.assign(new Certificate(), certificate);
  }

  async lockVisible(_manager: EntityManager, principal: Principal, certificateId: string): Promise<Certificate | null> {
    const certificate = await this.findInAccount(principal.accountId, certificateId);
    return certificate && canSee(principal, certificate) ? certificate : null;
  }

  async unrevokedOfDomains(_manager: EntityManager, domainIds: readonly string[]): Promise<Certificate[]> {
    return this.table
      .all((c) => domainIds.includes(c.domainId) && !c.revokedAt)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
  }

  async markRevoked(_manager: EntityManager, certificateIds: readonly string[], at: Date, reason: CertificateRevocationReason): Promise<void> {
    this.table.update((c) => certificateIds.includes(c.id) && !c.revokedAt, { revokedAt: at, revocationReason: reason });
  }

  async page(accountId: string, domainId: string | null, page: PageArgs): Promise<Connection<Certificate>> {
    return fakePage(this.table.all((c) => c.accountId === accountId && (!domainId || c.domainId === domainId)), page);
  }

  async findInAccount(accountId: string, certificateId: string): Promise<Certificate | null> {
    return this.table.first((c) => c.id === certificateId && c.accountId === accountId);
  }

  async findByFingerprint(fingerprintSha256: string): Promise<Certificate | null> {
    return this.table.first((c) => c.fingerprintSha256 === fingerprintSha256);
  }

  domainCertificatesLoader(accountId: string): DomainCertificatesLoader {
    return async (domainId, page) => this.page(accountId, domainId, page);
  }
}
