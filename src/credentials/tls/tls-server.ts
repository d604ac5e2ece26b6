import fs from "node:fs";
import https from "node:https";
import { ConfigError } from "../../shared/config";

export interface TlsServerSettings {
  certFile: string;
  keyFile: string;
}

/**
 * HTTPS for the same app, asking for (never requiring) a client certificate: the handshake lets
 * any certificate, or none, through, and the authenticator decides what it is worth, so bearer
 * tokens keep working on this port and a foreign certificate gets a clear 401, not a TLS alert.
 */
/** Requests are attached by the caller (`server.on("request", app)`), as for the plain HTTP server. */
export function createTlsServer(settings: TlsServerSettings, caPem: string | null): https.Server {
  const read = (file: string, variable: string) => {
    try {
      return fs.readFileSync(file);
    } catch {
      throw new ConfigError(`${variable} (${file}) cannot be read`);
    }
  };
  try {
    return https.createServer(
      {
        cert: read(settings.certFile, "TLS_CERT_FILE"),
        key: read(settings.keyFile, "TLS_KEY_FILE"),
        requestCert: true,
        rejectUnauthorized: false,
        // Named in the handshake as the issuer we accept, so clients holding several certificates pick ours.
        ...(caPem ? { ca: caPem } : {}),
      },
    );
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`TLS_CERT_FILE and TLS_KEY_FILE must be a PEM certificate and its private key (${(error as Error).message})`);
  }
}
