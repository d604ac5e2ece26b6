import type https from "node:https";
import express, { Request } from "express";
import type { Config } from "../shared/config";
import type { CertificateAuthority } from "./ca/certificate-authority";
import type { CrlPublisher } from "./ca/crl";
import type { AttestationService } from "./attestations/attestation.service";
import { ClientCertificateHeader, clientCertificateOf } from "./tls/client-certificate";
import { trustedPeerMatcher } from "./tls/trusted-proxies";
import { createTlsServer } from "./tls/tls-server";

export interface CredentialsHttp {
  /** The client certificate a request presented (TLS port, or a trusted proxy's header); null without one. */
  clientCertificateOf(req: Request): Promise<Uint8Array | null>;
  /** The HTTPS server for TLS_PORT, not yet listening and without a request handler; null when TLS_PORT is unset. */
  tlsServer: https.Server | null;
}

/** What the HTTP side serves, from the credential services (index.ts). */
export interface CredentialsHttpSources {
  ca: () => Promise<CertificateAuthority | null>;
  crl: () => Promise<CrlPublisher | null>;
  attestations: Pick<AttestationService, "jwks">;
}

/** GET /crl, GET /ca.pem and GET /.well-known/jwks.json: loaded by a server only, so the CLI never loads Express. */
export function credentialsRoutes(services: CredentialsHttpSources): express.Router {
  const { ca, crl, attestations } = services;
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
  return router;
}

/** Where a request's client certificate comes from: the TLS port, or a listed proxy's header. */
export async function createCredentialsHttp(ca: CredentialsHttpSources["ca"], settings: Config["credentials"]): Promise<CredentialsHttp> {
  const header: ClientCertificateHeader | null =
    settings.clientCertHeader && settings.clientCertProxies
      ? { name: settings.clientCertHeader, fromProxy: trustedPeerMatcher(settings.clientCertProxies) }
      : null;
  return {
    clientCertificateOf: (req) => clientCertificateOf(req, header),
    // Made at start-up, so unreadable TLS files stop the server before it listens anywhere.
    tlsServer: settings.tls ? createTlsServer(settings.tls, (await ca())?.pem ?? null) : null,
  };
}
