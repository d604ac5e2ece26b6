import { DAYS, duration, HOURS, integer, Invalid, MINUTES, SECONDS, text, type Parser } from "./parsers";
import { section, setting } from "./setting";
import type { CredentialsConfig } from "./types";

const headerName: Parser<string> = {
  accepts: "a header name",
  parse(raw, key) {
    const header = raw.toLowerCase();
    return /^[a-z0-9-]+$/.test(header) ? header : new Invalid(`${key} must be a header name; got "${header}"`);
  },
};

export const credentialsSection = section({
  title: "Certificates, mutual TLS and attestations",
  settings: {
    caCertFile: setting({
      env: "CA_CERT_FILE",
      parser: text("a PEM file"),
      defaultDoc: "unset: outside production a development CA is made under `DEV_CREDENTIALS_DIR`; in production issuing is off (`NOT_CONFIGURED`)",
      doc:
        "the CA certificate that signs client certificates and the CRL (PEM; EC P-256/P-384 or RSA ≥ 2048); set with `CA_KEY_FILE`. " +
        "Start-up refuses a key that is not the certificate's, or a certificate without `CA:TRUE`",
    }),
    caKeyFile: setting({ env: "CA_KEY_FILE", parser: text("a PEM file"), defaultDoc: "unset", doc: "the CA's private key (PEM, unencrypted); set with `CA_CERT_FILE`" }),
    // 397 days is the longest validity browsers and the CA/Browser Forum accept for any leaf.
    certTtlMs: setting({ env: "CERT_TTL_DAYS", parser: duration(DAYS, { max: 397 }), default: "90", doc: "validity of issued client certificates" }),
    maxCertificatesPerDomain: setting({
      env: "MAX_CERTIFICATES_PER_DOMAIN",
      parser: integer({ min: 1, max: 1000 }),
      default: "10",
      doc: "active (unrevoked, unexpired) client certificates one domain may have (`CERTIFICATE_LIMIT_REACHED`)",
    }),
    crlValidityMs: setting({
      env: "CRL_VALIDITY_HOURS",
      parser: duration(HOURS),
      default: "24",
      doc: "how far ahead `/crl`'s `nextUpdate` lies; a CRL is rebuilt after half of it, and after revocations",
    }),
    crlRefreshMs: setting({
      env: "CRL_REFRESH_SECONDS",
      parser: duration(SECONDS),
      default: "5",
      doc:
        "how often an instance serving `/crl` asks the database whether another instance revoked a certificate (which then appears in its CRL within the larger of this and `CRL_MIN_REBUILD_SECONDS`, plus a build)",
    }),
    crlMinRebuildMs: setting({
      env: "CRL_MIN_REBUILD_SECONDS",
      parser: duration(SECONDS, { max: 3600 }),
      default: "10",
      doc:
        "the shortest time between two builds of the CRL, whatever the revocations; a revocation on this instance is in `/crl` within this plus a build. " +
        "Requests are answered from the last CRL while it is valid and never wait for a build",
    }),
    tlsPort: setting({
      env: "TLS_PORT",
      parser: integer({ min: 0, max: 65535 }),
      defaultDoc: "unset (no TLS port)",
      doc: "also serve HTTPS on this port, asking for (not requiring) a client certificate; set with `TLS_CERT_FILE` and `TLS_KEY_FILE`",
    }),
    tlsCertFile: setting({ env: "TLS_CERT_FILE", parser: text("a PEM file"), defaultDoc: "unset", doc: "the HTTPS port's certificate; set with `TLS_PORT`" }),
    tlsKeyFile: setting({ env: "TLS_KEY_FILE", parser: text("a PEM file"), defaultDoc: "unset", doc: "the HTTPS port's private key; set with `TLS_PORT`" }),
    clientCertHeader: setting({
      env: "TLS_CLIENT_CERT_HEADER",
      parser: headerName,
      defaultDoc: "unset (ignored)",
      doc:
        "behind a TLS-terminating proxy: the header it puts the client certificate in (URL-encoded PEM, e.g. nginx's `$ssl_client_escaped_cert`); " +
        "read only when the connection itself comes from an address `TRUST_PROXY` lists, so it requires `TRUST_PROXY` to list the proxy's addresses or subnets (start-up refuses `true` or a hop count)",
    }),
    attestationKeyFile: setting({
      env: "ATTESTATION_KEY_FILE",
      parser: text("a PEM file"),
      defaultDoc: "unset: outside production a development key under `DEV_CREDENTIALS_DIR`; in production attestations are off (`NOT_CONFIGURED`)",
      doc: "PEM file of EC P-256 private keys for attestations: the first signs, all are published in `/.well-known/jwks.json`",
    }),
    attestationTtlMs: setting({ env: "ATTESTATION_TTL_MINUTES", parser: duration(MINUTES), default: "60", doc: "lifetime of an attestation (`exp` − `iat`)" }),
    devDir: setting({
      env: "DEV_CREDENTIALS_DIR",
      parser: text("a directory"),
      default: "data",
      doc: "where the development CA (`.dev-ca.pem`, certificate and key, mode 0600) and attestation key (`.dev-attestation-key.pem`) are kept between restarts",
    }),
  },
  build: ({ caCertFile, caKeyFile, tlsPort, tlsCertFile, tlsKeyFile, ...v }): { credentials: CredentialsConfig } => ({
    credentials: {
      ...v,
      // The rules refuse one file of a pair without the other.
      ca: caCertFile && caKeyFile ? { certFile: caCertFile, keyFile: caKeyFile } : undefined,
      tls: tlsPort !== undefined && tlsCertFile && tlsKeyFile ? { port: tlsPort, certFile: tlsCertFile, keyFile: tlsKeyFile } : undefined,
    },
  }),
});
