import type { DnsServerAddress } from "../dns-servers";

/** Everything dnsproof reads from its environment, parsed and checked once at start-up. */
export interface Config {
  env: "production" | "development" | "test";
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: string;
  auth: {
    jwtSecret?: string;
    jwksUrl?: string;
    jwtIssuer?: string;
    jwtAudience?: string;
    adminUserIds: string[];
    adminEmails: string[];
    adminSecret?: string;
    /** Service accounts of an OIDC issuer that are admins (ADMIN_OIDC_*); unset disables the path. */
    adminOidc?: AdminOidcConfig;
    /** Lets API keys created by admins act as admins. */
    adminAllowApiKeys: boolean;
    /** Where a development secret is kept between restarts when none is configured. */
    devSecretFile: string;
  };
  dns: {
    /** DNS_SERVERS as written, for people to read; empty means the system's resolvers. */
    servers: string[];
    /** The same servers parsed, once: what the engine asks. */
    resolvers: DnsServerAddress[];
    timeoutMs: number;
    quorum?: number;
    mode: "recursive" | "authoritative";
    authoritativePort: number;
    allowPrivateNameservers: boolean;
    /** Nameserver addresses authoritative mode asks at most, of those a zone's NS records name. */
    maxNameservers: number;
    /** DNS_RESOLVERS_VALIDATE: the resolvers validate DNSSEC and are reached over a trusted path. */
    resolversValidate: boolean;
    dnssecPolicy: "observe" | "require-secure";
    cnameZone: string;
    /** Lookups in flight at once for scheduled and admin checks. */
    concurrency: number;
  };
  perspectives: {
    /** DNS_PERSPECTIVES: remote perspectives' URLs; empty means checks are not corroborated. */
    urls: string[];
    /** Shared with the perspectives: the bearer token and the answers' signing key. */
    secret?: string;
    quorum?: number;
    minRegions?: number;
    /** `dnsproof perspective`'s own PERSPECTIVE_SECRET. */
    serviceSecret?: string;
    /** `dnsproof perspective`'s requests per caller address per minute. */
    ratePerMinute: number;
  };
  domains: {
    maxPerAccount: number;
    tokenTtlMs: number;
    reverifyIntervalMs: number;
    reverifyGraceMs: number;
    /** Delay from claiming (or a new token) to the first automatic check. */
    pendingFirstCheckMs: number;
    /** Delays between automatic checks of an unverified claim; the last one repeats. */
    pendingBackoffMs: number[];
    /** How long EXPIRED and REVOKED claims are kept before cleanup deletes them. */
    cleanupAfterMs: number;
    /** How long before an unverified claim's token runs out TOKEN_EXPIRING_SOON is written. */
    tokenExpiryWarningMs: number;
  };
  apiKeys: {
    /** Active (unrevoked) API keys one account may hold. */
    maxPerAccount: number;
  };
  scheduler: {
    enabled: boolean;
    /** How often an idle scheduler looks for due work. */
    intervalMs: number;
    /** Claims leased and held in memory at once. */
    batchSize: number;
  };
  rateLimits: {
    mutationsPerMinute: number;
    verifyPerMinute: number;
    /** Failed authentications one client IP may cause per minute before it is refused outright. */
    authFailuresPerMinute: number;
    /** Requests without credentials one client IP may send per minute. */
    anonymousPerMinute: number;
    redisUrl?: string;
    /** Prepended to every Redis key, so deployments (and tests) can share one Redis. */
    redisKeyPrefix: string;
  };
  graphql: {
    introspection: boolean;
    maxDepth: number;
    maxComplexity: number;
    maxAliases: number;
    /** Most lexical tokens in one document; parsing stops past it. */
    maxTokens: number;
    /** Most selections (fields, spreads, inline fragments) written in one document. */
    maxSelections: number;
    maxBatchOperations: number;
    maxBodyBytes: number;
  };
  metrics: {
    /** Bearer token /metrics requires (METRICS_TOKEN); without one, production answers 401 unless public. */
    token?: string;
    /** METRICS_PUBLIC: serve /metrics to anyone, as outside production. */
    public: boolean;
  };
  webhooks: {
    maxPerAccount: number;
    /** Waits after each failed attempt; after the last the delivery is FAILED. */
    retryDelaysMs: number[];
    /** An endpoint whose attempts have all failed for this long is disabled. */
    disableAfterMs: number;
    timeoutMs: number;
    /** Allows http and private addresses (tests, closed networks). */
    allowPrivate: boolean;
    /** POSTs in flight at once per instance. */
    concurrency: number;
    /** Run the delivery worker in this instance. */
    workerEnabled: boolean;
    /** One account's POSTs in flight at once per instance, so its endpoints cannot hold the whole pool. */
    concurrencyPerAccount: number;
    /** One endpoint's POSTs in flight at once per instance. */
    concurrencyPerEndpoint: number;
    /** Resolvers webhook host names are looked up with ("ip:port"); empty means the system's (resolv.conf). */
    dnsServers: string[];
    /** Deadline of one host-name lookup, at creation and on each attempt (which WEBHOOK_TIMEOUT_MS bounds as a whole). */
    dnsTimeoutMs: number;
  };
  subscriptions: {
    maxPerConnection: number;
    /** Per account on one instance. */
    maxPerAccount: number;
    /** Entries one subscribe's replay (after:) sends at most before it ends with REPLAY_TOO_LONG. */
    maxReplay: number;
    /** Open WebSocket connections per account on one instance (WS_MAX_CONNECTIONS_PER_ACCOUNT). */
    maxConnectionsPerAccount: number;
    /** Open WebSocket connections per client address (TRUST_PROXY applies), authenticated or not. */
    maxConnectionsPerAddress: number;
    /** A connection that runs no subscription for this long is closed. */
    idleTimeoutMs: number;
  };
  /** Express's "trust proxy": which hops may set X-Forwarded-For, so the client IP is right behind a proxy. */
  trustProxy: boolean | number | string;
  /** Where clients reach this service (PUBLIC_URL): the CRL distribution point and the attestations' issuer. */
  publicUrl: string;
  /** PERSIST_ISSUER: issuer names persistent records may start with, the first shown in new records. */
  persistIssuers: string[];
  credentials: CredentialsConfig;
  /** Deadlines, the overload cap and what happens while Redis is away. */
  resilience: {
    /** REQUEST_TIMEOUT_MS: one request's deadline, whole; every dependency's bound derives from it. */
    requestTimeoutMs: number;
    /** Requests (and, separately, WebSocket connections) one instance serves at once. */
    maxInflightRequests: number;
    /** Refuse rate-limited calls while Redis is away, rather than count them per instance. */
    rateLimitFailClosed: boolean;
    /** /healthz fails after the event loop was blocked longer than this. */
    eventLoopBlockedMs: number;
  };
}

/** Client certificates, mutual TLS and ownership attestations (src/credentials). */
export interface CredentialsConfig {
  /** The issuing CA (CA_CERT_FILE + CA_KEY_FILE); unset: a development CA outside production, no issuing in production. */
  ca?: { certFile: string; keyFile: string };
  /** Where development CA and attestation keys are kept between restarts. */
  devDir: string;
  certTtlMs: number;
  /** Active (unrevoked, unexpired) client certificates one domain may have. */
  maxCertificatesPerDomain: number;
  crlValidityMs: number;
  /** How often an instance serving /crl asks the database whether to rebuild it. */
  crlRefreshMs: number;
  /** The shortest time between two CRL builds; a revocation is in /crl within it (plus a build). */
  crlMinRebuildMs: number;
  /** HTTPS with optional client certificates on a port of its own. */
  tls?: { port: number; certFile: string; keyFile: string };
  /** A header a trusted proxy puts the (URL-encoded PEM) client certificate in; only read from TRUST_PROXY hops. */
  clientCertHeader?: string;
  /** With clientCertHeader: TRUST_PROXY's addresses, subnets or subnet names, the only peers whose header is read. */
  clientCertProxies?: string[];
  /** PEM file of ES256 keys: the first signs, all are published. */
  attestationKeyFile?: string;
  attestationTtlMs: number;
}

export interface AdminOidcConfig {
  /** The issuer URL exactly as in its tokens' "iss"; its discovery document names the JWKS. */
  issuer: string;
  audience: string;
  /** Listed "sub" values or e-mail addresses; every other token of the issuer is an ordinary, non-admin caller. */
  serviceAccounts: string[];
}
