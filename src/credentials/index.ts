import type https from "node:https";
import express, { Request } from "express";
import type { Config } from "../shared/config";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import type { AuditLog } from "../audit/audit-log";
import type { DomainService } from "../domains/domain.service";
import type { DomainStore } from "../domains/domain.store";
import type { NodeFetcher } from "../graphql/node.resolver";
import { principalOf } from "../graphql/context";
import { lazy } from "../shared/lazy";
import { loadCertificateAuthority } from "./ca/certificate-authority";
import { CrlPublisher } from "./ca/crl";
import { CertificateService } from "./certificates/certificate.service";
import { CertificateResolver, DomainCertificatesResolver } from "./certificates/certificate.resolver";
import { loadAttestationKeys } from "./attestations/attestation-keys";
import { AttestationService } from "./attestations/attestation.service";
import { AttestationResolver } from "./attestations/attestation.resolver";
import { clientCertificateOf } from "./tls/client-certificate";
import { createTlsServer } from "./tls/tls-server";

export interface Credentials {
  certificates: CertificateService;
  attestations: AttestationService;
  resolvers: object[];
  nodeFetchers: Record<string, NodeFetcher>;
  /** GET /crl, GET /ca.pem and GET /.well-known/jwks.json */
  router: express.Router;
  /** The client certificate a request presented (TLS port, or a trusted proxy's header); null without one. */
  clientCertificateOf(req: Request): Promise<Uint8Array | null>;
  /** The HTTPS server for TLS_PORT, not yet listening and without a request handler; null when TLS_PORT is unset. */
  tlsServer: https.Server | null;
}

/**
 * What a verified domain unlocks: client certificates (with their CA, CRL and mutual-TLS port)
 * and ownership attestations. Registers the audit listener that revokes a domain's
 * certificates in the same transaction that removes it or takes its verification away.
 */
export async function createCredentials(deps: { config: Config; db: Database; audit: AuditLog; clock: Clock; domains: DomainService; domainStore: DomainStore }): Promise<Credentials> {
  const { config, db, audit, clock, domains, domainStore } = deps;
  const settings = config.credentials;
  const ca = lazy(() => loadCertificateAuthority(settings, config.env));
  // A configured CA is read now, so a key that does not match its certificate stops the start, and
  // the TLS port names the CA in its handshake; only the development CA waits for its first use.
  if (settings.ca || settings.tls) await ca();
  const certificates = new CertificateService(db, domainStore, audit, clock, ca, { ttlMs: settings.certTtlMs, crlUrl: `${config.publicUrl}/crl` });
  audit.addListener(certificates.revokeWithDomain);
  const crl = lazy(async () => {
    const authority = await ca();
    return authority ? new CrlPublisher(db, authority, clock, settings.crlValidityMs) : null;
  });

  const keys = await loadAttestationKeys(settings.attestationKeyFile, settings.devDir, config.env);
  const attestations = new AttestationService(db, audit, domains, clock, keys, { issuer: config.publicUrl, ttlMs: settings.attestationTtlMs });

  const router = express.Router();
  router.get("/crl", async (_req, res, next) => {
    try {
      const publisher = await crl();
      if (!publisher) return void res.status(404).type("text/plain").send("No CA is configured on this server, so it publishes no CRL.\n");
      res.set("cache-control", "no-cache").type("application/pkix-crl").send(await publisher.current());
    } catch (error) {
      next(error);
    }
  });
  router.get("/ca.pem", async (_req, res, next) => {
    try {
      const authority = await ca();
      if (!authority) return void res.status(404).type("text/plain").send("No CA is configured on this server.\n");
      res.type("application/x-pem-file").send(authority.pem);
    } catch (error) {
      next(error);
    }
  });
  router.get("/.well-known/jwks.json", (_req, res) => {
    res.set("cache-control", "public, max-age=300").type("application/jwk-set+json").send(JSON.stringify(attestations.jwks()));
  });

  return {
    certificates,
    attestations,
    resolvers: [new CertificateResolver(certificates), new DomainCertificatesResolver(certificates), new AttestationResolver(attestations)],
    nodeFetchers: { Certificate: (localId, ctx) => certificates.findOwned(principalOf(ctx), localId) },
    router,
    clientCertificateOf: (req) => clientCertificateOf(req, settings.clientCertHeader),
    // Made here, at start-up, so unreadable TLS files stop the server before it listens anywhere.
    tlsServer: settings.tls ? createTlsServer(settings.tls, (await ca())?.pem ?? null) : null,
  };
}
