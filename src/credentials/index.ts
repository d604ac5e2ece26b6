import type { Logger } from "pino";
import type { Config } from "../shared/config";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import type { AuditLog } from "../audit/audit-log";
import type { DomainService } from "../domains/domain.service";
import type { NodeFetcher } from "../graphql/node.resolver";
import { principalOf } from "../graphql/context";
import { lazy } from "../shared/lazy";
import { type CertificateAuthority, loadCertificateAuthority } from "./ca/certificate-authority";
import { CrlPublisher } from "./ca/crl";
import { CertificateService } from "./certificates/certificate.service";
import { CertificateResolver, DomainCertificatesResolver } from "./certificates/certificate.resolver";
import { loadAttestationKeys } from "./attestations/attestation-keys";
import { AttestationService } from "./attestations/attestation.service";
import { AttestationResolver } from "./attestations/attestation.resolver";

import type { CredentialsHttp } from "./http";

export { credentialResolverClasses } from "./resolvers";

/** Everything credentials bring to a server: the services and their HTTP side. */
export type Credentials = CredentialServices & CredentialsHttp;

export interface CredentialServices {
  certificates: CertificateService;
  attestations: AttestationService;
  /** Instances of credentialResolverClasses, for the schema's container. */
  resolvers: object[];
  nodeFetchers: Record<string, NodeFetcher>;
  /** The configured CA, or the development one; null when neither applies. Read at its first use. */
  ca: () => Promise<CertificateAuthority | null>;
  /** Publishes the CA's revocation list; null without a CA. */
  crl: () => Promise<CrlPublisher | null>;
  /** Ends the CRL's background refresh, before the database closes. */
  stop(): void;
}

/**
 * What a verified domain unlocks: client certificates (with their CA and CRL) and ownership
 * attestations. Registers the audit listener that revokes a domain's certificates in the same
 * transaction that removes it or takes its verification away, so the CLI's commands revoke too.
 */
export async function createCredentialServices(deps: {
  config: Config;
  db: Database;
  audit: AuditLog;
  clock: Clock;
  domains: DomainService;
  logger: Logger;
}): Promise<CredentialServices> {
  const { config, db, audit, clock, domains, logger } = deps;
  const settings = config.credentials;
  const ca = lazy(() => loadCertificateAuthority(settings, config.env));
  // A configured CA is read now, so a key that does not match its certificate stops the start, and
  // the TLS port names the CA in its handshake; only the development CA waits for its first use.
  if (settings.ca || settings.tls) await ca();
  const certificates = new CertificateService(db, domains, audit, clock, ca, {
    ttlMs: settings.certTtlMs,
    crlUrl: `${config.publicUrl}/crl`,
    maxActivePerDomain: settings.maxCertificatesPerDomain,
  });
  audit.addListener(certificates.revokeWithDomain);
  let publisher: CrlPublisher | null = null;
  const crl = lazy(async () => {
    const authority = await ca();
    publisher = authority ? new CrlPublisher(db, authority, clock, { validityMs: settings.crlValidityMs, refreshMs: settings.crlRefreshMs, logger }) : null;
    return publisher;
  });

  const keys = await loadAttestationKeys(settings.attestationKeyFile, settings.devDir, config.env);
  const attestations = new AttestationService(db, audit, domains, clock, keys, { issuer: config.publicUrl, ttlMs: settings.attestationTtlMs });

  return {
    stop: () => publisher?.stop(),
    certificates,
    attestations,
    resolvers: [new CertificateResolver(certificates), new DomainCertificatesResolver(certificates), new AttestationResolver(attestations)],
    nodeFetchers: { Certificate: (localId, ctx) => certificates.findOwned(principalOf(ctx), localId) },
    ca,
    crl,
  };
}
