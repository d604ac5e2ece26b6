import type { Logger } from "pino";
import type { Config } from "../shared/config";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import { lazy } from "../shared/lazy";
import { defineModule } from "../graphql/feature-module";
import { principalOf } from "../graphql/context";
import type { AuditLog } from "../audit/audit-log";
import { AuditAction } from "../audit/audit.types";
import type { DomainService } from "../domains/domain.service";
import { loadCertificateAuthority } from "./ca/certificate-authority";
import { CrlPublisher } from "./ca/crl";
import { Certificate } from "./certificates/certificate.entity";
import { CertificateService } from "./certificates/certificate.service";
import { SqlCertificateStore } from "./certificates/certificate.store";
import { CertificateResolver, DomainCertificatesResolver } from "./certificates/certificate.resolver";
import { loadAttestationKeys } from "./attestations/attestation-keys";
import { AttestationService } from "./attestations/attestation.service";
import { AttestationResolver } from "./attestations/attestation.resolver";
import type { CertificateAuthority } from "./ca/certificate-authority";

/** The credential services other parts of the service use (the HTTP side, the CLI, tests). */
export interface CredentialServices {
  certificates: CertificateService;
  attestations: AttestationService;
  /** The configured CA, or the development one; null when neither applies. Read at its first use. */
  ca: () => Promise<CertificateAuthority | null>;
  /** Publishes the CA's revocation list; null without a CA. */
  crl: () => Promise<CrlPublisher | null>;
}

export interface CredentialsDeps {
  config: Config;
  clock: Clock;
  db: Database;
  audit: AuditLog;
  logger: Logger;
  domains: DomainService;
}

/** The certificate service over the database, signing with `ca`, its rules set from the configuration. */
export function createCertificateService(
  { config, clock, db, audit, domains }: Pick<CredentialsDeps, "config" | "clock" | "db" | "audit" | "domains">,
  ca: () => Promise<CertificateAuthority | null>,
): CertificateService {
  return new CertificateService(new SqlCertificateStore(db), db, domains, audit, clock, ca, {
    ttlMs: config.credentials.certTtlMs,
    crlUrl: `${config.publicUrl}/crl`,
    maxActivePerDomain: config.credentials.maxCertificatesPerDomain,
  });
}

/**
 * What a verified domain unlocks: client certificates (with their CA and CRL) and ownership
 * attestations. Its audit listener revokes a domain's certificates in the same transaction that
 * removes it or takes its verification away, so the CLI's commands revoke too.
 */
export const credentialsModule = defineModule({
  name: "credentials",
  entities: [Certificate],
  resolverClasses: [CertificateResolver, DomainCertificatesResolver, AttestationResolver],
  create: async ({ config, clock, db, audit, logger, domains }: CredentialsDeps) => {
    const settings = config.credentials;
    const ca = lazy(() => loadCertificateAuthority(settings, config.env));
    // A configured CA is read now, so a key that does not match its certificate stops the start, and
    // the TLS port names the CA in its handshake; only the development CA waits for its first use.
    if (settings.ca || settings.tls) await ca();
    const certificates = createCertificateService({ config, clock, db, audit, domains }, ca);
    let publisher: CrlPublisher | null = null;
    const crl = lazy(async () => {
      const authority = await ca();
      const crlSettings = { validityMs: settings.crlValidityMs, refreshMs: settings.crlRefreshMs, minRebuildMs: settings.crlMinRebuildMs, logger };
      publisher = authority ? new CrlPublisher(db, authority, clock, crlSettings) : null;
      return publisher;
    });
    const keys = await loadAttestationKeys(settings.attestationKeyFile, settings.devDir, config.env);
    const attestations = new AttestationService(db, audit, domains, clock, keys, { issuer: config.publicUrl, ttlMs: settings.attestationTtlMs });
    const credentials: CredentialServices = { certificates, attestations, ca, crl };
    return {
      provides: { credentials },
      resolvers: [new CertificateResolver(certificates), new DomainCertificatesResolver(certificates), new AttestationResolver(attestations)],
      nodeFetchers: { Certificate: (localId, ctx) => certificates.findOwned(principalOf(ctx), localId) },
      auditListeners: [
        certificates.revokeWithDomain,
        // Every revocation, by its owner or with its domain, is audited in its transaction: once it commits, the CRL is stale.
        async (manager, entries) => {
          if (entries.some((entry) => entry.action === AuditAction.CERTIFICATE_REVOKED)) db.afterCommit(manager, "crl-stale", () => publisher?.markStale());
        },
      ],
      certificateStrategy: (der) => certificates.authenticate(der),
      // The CRL refreshes in the background once first served; it stops with the scheduled checks.
      workers: [{ name: "CRL refresh", enabled: false, start: () => undefined, stop: async () => publisher?.stop(), stopsWith: "requests" }],
      routes: async () => (await import("./http")).credentialsRoutes({ ca, crl, attestations }),
    };
  },
});
