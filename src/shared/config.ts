import { isIP, isIPv4, isIPv6 } from "node:net";
import { checkDnsQuorum, formatDnsServer, parseDnsServer, type DnsServerAddress } from "./dns-servers";

export const DEFAULT_CNAME_ZONE = "verify.dnsproof.dev";

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
    cnameZone: string;
    /** Lookups in flight at once for scheduled and admin checks. */
    concurrency: number;
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
  credentials: CredentialsConfig;
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

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function loadConfig(env: Env = process.env): Config {
  const read = (key: string): string | undefined => {
    const value = env[key]?.trim();
    return value === "" ? undefined : value;
  };
  const list = (key: string): string[] =>
    (read(key) ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const integer = (key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = read(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${key} must be a whole number from ${min} to ${max}; got "${raw}"`);
    }
    return value;
  };
  // Durations accept fractions so a whole lifecycle can be watched in seconds on a running server.
  const duration = (key: string, fallback: number, unitMs: number): number => {
    const raw = read(key);
    if (raw === undefined) return fallback * unitMs;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      throw new ConfigError(`${key} must be a positive number; got "${raw}"`);
    }
    return value * unitMs;
  };
  const durations = (key: string, fallback: number[], unitMs: number): number[] => {
    const raw = read(key);
    if (raw === undefined) return fallback.map((value) => value * unitMs);
    const values = raw.split(",").map((part) => Number(part.trim()));
    if (values.some((value) => !Number.isFinite(value) || value <= 0)) {
      throw new ConfigError(`${key} must be a comma-separated list of positive numbers; got "${raw}"`);
    }
    return values.map((value) => value * unitMs);
  };
  const boolean = (key: string, fallback: boolean): boolean => {
    const raw = read(key)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (["0", "false", "no", "off"].includes(raw)) return false;
    throw new ConfigError(`${key} must be true or false; got "${raw}"`);
  };

  const nodeEnv = read("NODE_ENV");
  const envName: Config["env"] = nodeEnv === "production" ? "production" : nodeEnv === "test" ? "test" : "development";

  const mode = read("DNS_MODE") ?? "recursive";
  if (mode !== "recursive" && mode !== "authoritative") {
    throw new ConfigError(`DNS_MODE must be "recursive" or "authoritative"; got "${mode}"`);
  }
  const servers = list("DNS_SERVERS");
  const resolvers = servers.map((server) => dnsServer(server));
  const quorum = read("DNS_QUORUM") === undefined ? undefined : integer("DNS_QUORUM", 1, 1, 64);
  // Without DNS_SERVERS the system's resolvers are asked: the engine checks the quorum against those when it starts.
  if (resolvers.length > 0) {
    try {
      checkDnsQuorum(quorum, mode, resolvers.length);
    } catch {
      // integer() let through only whole numbers from 1: what is wrong is the number of servers.
      throw new ConfigError(`DNS_QUORUM=${quorum} can never be met by the ${servers.length} DNS_SERVERS configured`);
    }
  }

  const config: Config = {
    env: envName,
    port: integer("PORT", 4000, 0, 65535),
    // Outside production the explorer page embeds a development token: only this machine may reach it.
    host: read("HOST") ?? (envName === "production" ? "0.0.0.0" : "127.0.0.1"),
    databaseUrl: databaseUrl(read("DATABASE_URL") ?? "sqlite:data/dnsproof.sqlite"),
    logLevel: read("LOG_LEVEL") ?? "info",
    auth: {
      jwtSecret: read("JWT_SECRET"),
      jwksUrl: httpUrl("JWKS_URL", read("JWKS_URL")),
      jwtIssuer: read("JWT_ISSUER"),
      jwtAudience: read("JWT_AUDIENCE"),
      adminUserIds: list("ADMIN_USER_IDS"),
      adminEmails: list("ADMIN_EMAILS").map((e) => e.toLowerCase()),
      adminSecret: read("ADMIN_SECRET"),
      adminOidc: adminOidc(read, list),
      adminAllowApiKeys: boolean("ADMIN_ALLOW_API_KEYS", false),
      devSecretFile: read("DEV_SECRET_FILE") ?? "data/.dev-jwt-secret",
    },
    dns: {
      servers,
      resolvers,
      timeoutMs: integer("DNS_TIMEOUT_MS", 3000, 50, 60_000),
      quorum,
      mode,
      authoritativePort: integer("DNS_AUTHORITATIVE_PORT", 53, 1, 65535),
      allowPrivateNameservers: boolean("DNS_AUTHORITATIVE_ALLOW_PRIVATE", false),
      // Twice this (a TXT and a CNAME query each) must fit the 100 queries one verification may send.
      maxNameservers: integer("DNS_MAX_NAMESERVERS", 8, 1, 32),
      cnameZone: (read("VERIFY_CNAME_ZONE") ?? DEFAULT_CNAME_ZONE).replace(/\.$/, "").toLowerCase(),
      concurrency: integer("DNS_CONCURRENCY", 10, 1, 1000),
    },
    domains: {
      maxPerAccount: integer("MAX_DOMAINS_PER_ACCOUNT", 5, 1),
      tokenTtlMs: duration("TOKEN_TTL_DAYS", 30, DAY),
      reverifyIntervalMs: duration("REVERIFY_INTERVAL_HOURS", 24, HOUR),
      reverifyGraceMs: duration("REVERIFY_GRACE_HOURS", 72, HOUR),
      pendingFirstCheckMs: duration("PENDING_FIRST_CHECK_SECONDS", 60, SECOND),
      pendingBackoffMs: durations("PENDING_CHECK_BACKOFF_MINUTES", [1, 5, 15, 60, 360], MINUTE),
      cleanupAfterMs: duration("CLEANUP_AFTER_DAYS", 30, DAY),
      tokenExpiryWarningMs: duration("TOKEN_EXPIRY_WARNING_HOURS", 72, HOUR),
    },
    apiKeys: {
      maxPerAccount: integer("MAX_API_KEYS_PER_ACCOUNT", 25, 1, 10_000),
    },
    scheduler: {
      enabled: boolean("SCHEDULER_ENABLED", true),
      intervalMs: duration("SCHEDULER_INTERVAL_SECONDS", 30, SECOND),
      batchSize: integer("SCHEDULER_BATCH_SIZE", 100, 1, 10_000),
    },
    rateLimits: {
      mutationsPerMinute: integer("RATE_LIMIT_MUTATIONS_PER_MINUTE", 10, 1),
      verifyPerMinute: integer("RATE_LIMIT_VERIFY_PER_MINUTE", 5, 1),
      authFailuresPerMinute: integer("RATE_LIMIT_AUTH_FAILURES_PER_MINUTE", 20, 1),
      anonymousPerMinute: integer("RATE_LIMIT_ANONYMOUS_PER_MINUTE", 120, 1),
      redisUrl: redisUrl(read("REDIS_URL")),
      redisKeyPrefix: read("REDIS_KEY_PREFIX") ?? "dnsproof:",
    },
    graphql: {
      introspection: boolean("GRAPHQL_INTROSPECTION", envName !== "production"),
      maxDepth: integer("GRAPHQL_MAX_DEPTH", 12, 2, 100),
      maxComplexity: integer("GRAPHQL_MAX_COMPLEXITY", 250_000, 1),
      maxAliases: integer("GRAPHQL_MAX_ALIASES", 30, 0, 10_000),
      maxTokens: integer("GRAPHQL_MAX_TOKENS", 2_000, 100, 1_000_000),
      maxSelections: integer("GRAPHQL_MAX_SELECTIONS", 300, 10, 100_000),
      maxBatchOperations: integer("GRAPHQL_MAX_BATCH_OPERATIONS", 10, 1, 1000),
      maxBodyBytes: integer("GRAPHQL_MAX_BODY_BYTES", 100 * 1024, 1024, 64 * 1024 * 1024),
    },
    metrics: {
      token: read("METRICS_TOKEN"),
      // A configured token is meant to be required, in any environment.
      public: boolean("METRICS_PUBLIC", envName !== "production" && read("METRICS_TOKEN") === undefined),
    },
    webhooks: {
      maxPerAccount: integer("MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT", 10, 1, 1000),
      retryDelaysMs: durations("WEBHOOK_RETRY_SECONDS", [5, 300, 1800, 7200, 18000, 36000, 36000], SECOND),
      disableAfterMs: duration("WEBHOOK_DISABLE_AFTER_HOURS", 120, HOUR),
      timeoutMs: integer("WEBHOOK_TIMEOUT_MS", 10_000, 100, 60_000),
      allowPrivate: boolean("WEBHOOK_ALLOW_PRIVATE", false),
      concurrency: integer("WEBHOOK_CONCURRENCY", 10, 1, 1000),
      workerEnabled: boolean("WEBHOOK_WORKER_ENABLED", true),
      concurrencyPerAccount: integer("WEBHOOK_CONCURRENCY_PER_ACCOUNT", 5, 1, 1000),
      concurrencyPerEndpoint: integer("WEBHOOK_CONCURRENCY_PER_ENDPOINT", 2, 1, 1000),
      dnsServers: list("WEBHOOK_DNS_SERVERS").map((server) => formatDnsServer(dnsServer(server, "WEBHOOK_DNS_SERVERS"))),
      dnsTimeoutMs: integer("WEBHOOK_DNS_TIMEOUT_MS", 3000, 50, 60_000),
    },
    subscriptions: {
      maxPerConnection: integer("SUBSCRIPTIONS_PER_CONNECTION", 10, 1, 1000),
      maxPerAccount: integer("SUBSCRIPTIONS_PER_ACCOUNT", 100, 1, 100_000),
      maxReplay: integer("SUBSCRIPTIONS_MAX_REPLAY", 1000, 1, 100_000),
      maxConnectionsPerAccount: integer("WS_MAX_CONNECTIONS_PER_ACCOUNT", 50, 1, 100_000),
      maxConnectionsPerAddress: integer("WS_MAX_CONNECTIONS_PER_ADDRESS", 100, 1, 100_000),
      idleTimeoutMs: integer("WS_IDLE_TIMEOUT_MS", 30_000, 100, 3_600_000),
    },
    trustProxy: trustProxy(read("TRUST_PROXY")),
    publicUrl: publicUrl(read("PUBLIC_URL"), integer("PORT", 4000, 0, 65535)),
    credentials: credentials(read, integer, duration),
  };

  if (config.env === "production" && !config.auth.jwtSecret && !config.auth.jwksUrl) {
    throw new ConfigError("JWT_SECRET or JWKS_URL must be set when NODE_ENV=production");
  }
  if (config.auth.jwtSecret && config.auth.jwtSecret.length < 32 && config.env === "production") {
    throw new ConfigError("JWT_SECRET must be at least 32 characters in production");
  }
  if (config.credentials.clientCertHeader) config.credentials.clientCertProxies = clientCertProxies(config.trustProxy);
  if (config.env === "production" && !read("PUBLIC_URL") && (config.credentials.ca || config.credentials.attestationKeyFile)) {
    throw new ConfigError("PUBLIC_URL must be set in production with CA_CERT_FILE or ATTESTATION_KEY_FILE: certificates and attestations name it");
  }
  if (config.env === "production") productionChecks(config);
  return config;
}

function publicUrl(raw: string | undefined, port: number): string {
  if (raw === undefined) return `http://localhost:${port || 4000}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an http:// or https:// URL; got "${raw}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConfigError(`PUBLIC_URL must be an http:// or https:// URL; got "${raw}"`);
  return raw.replace(/\/+$/, "");
}

function credentials(
  read: (key: string) => string | undefined,
  integer: (key: string, fallback: number, min: number, max?: number) => number,
  duration: (key: string, fallback: number, unitMs: number) => number,
): CredentialsConfig {
  const certFile = read("CA_CERT_FILE");
  const keyFile = read("CA_KEY_FILE");
  if (Boolean(certFile) !== Boolean(keyFile)) throw new ConfigError("CA_CERT_FILE and CA_KEY_FILE must be set together");
  const certTtlMs = duration("CERT_TTL_DAYS", 90, DAY);
  // 397 days is the longest validity browsers and the CA/Browser Forum accept for any leaf.
  if (certTtlMs > 397 * DAY) throw new ConfigError(`CERT_TTL_DAYS must be at most 397; got "${read("CERT_TTL_DAYS")}"`);
  const tlsPort = read("TLS_PORT");
  const tlsCertFile = read("TLS_CERT_FILE");
  const tlsKeyFile = read("TLS_KEY_FILE");
  if (tlsPort !== undefined && (!tlsCertFile || !tlsKeyFile)) throw new ConfigError("TLS_PORT needs TLS_CERT_FILE and TLS_KEY_FILE");
  if (tlsPort === undefined && (tlsCertFile || tlsKeyFile)) throw new ConfigError("TLS_CERT_FILE and TLS_KEY_FILE need TLS_PORT");
  const header = read("TLS_CLIENT_CERT_HEADER")?.toLowerCase();
  if (header !== undefined && !/^[a-z0-9-]+$/.test(header)) throw new ConfigError(`TLS_CLIENT_CERT_HEADER must be a header name; got "${header}"`);
  return {
    ca: certFile && keyFile ? { certFile, keyFile } : undefined,
    devDir: read("DEV_CREDENTIALS_DIR") ?? "data",
    certTtlMs,
    maxCertificatesPerDomain: integer("MAX_CERTIFICATES_PER_DOMAIN", 10, 1, 1000),
    crlValidityMs: duration("CRL_VALIDITY_HOURS", 24, HOUR),
    crlRefreshMs: duration("CRL_REFRESH_SECONDS", 5, SECOND),
    tls: tlsPort !== undefined ? { port: integer("TLS_PORT", 4443, 0, 65535), certFile: tlsCertFile!, keyFile: tlsKeyFile! } : undefined,
    clientCertHeader: header,
    attestationKeyFile: read("ATTESTATION_KEY_FILE"),
    attestationTtlMs: duration("ATTESTATION_TTL_MINUTES", 60, MINUTE),
  };
}

/**
 * The header names a client certificate the proxy checked, so only a connection from the proxy
 * itself may send it: TRUST_PROXY must list it. A hop count or "true" trusts whoever connects
 * directly, who could then present any certificate's PEM, without its key, as their own.
 */
function clientCertProxies(trustProxy: Config["trustProxy"]): string[] {
  const fix = "set TRUST_PROXY to the proxy's addresses or subnets, e.g. TRUST_PROXY=10.0.0.5 or TRUST_PROXY=10.0.0.0/24";
  if (trustProxy === false) throw new ConfigError(`TLS_CLIENT_CERT_HEADER needs TRUST_PROXY: the header is only believed when a trusted proxy set it; ${fix}`);
  if (typeof trustProxy !== "string") {
    throw new ConfigError(
      `TLS_CLIENT_CERT_HEADER needs TRUST_PROXY to name the proxy, not ${trustProxy === true ? "true" : `a hop count (${trustProxy})`}: ` +
        `otherwise a client connecting directly could send any certificate in the header; ${fix}`,
    );
  }
  return trustProxy.split(",").map((entry) => entry.trim());
}

/** What production refuses that development tolerates: guessable secrets, keys fetched over plain HTTP, tokens for any audience. */
function productionChecks(config: Config): void {
  if (config.auth.adminSecret !== undefined && config.auth.adminSecret.length < 32) {
    throw new ConfigError("ADMIN_SECRET must be at least 32 characters in production");
  }
  if (config.metrics.token !== undefined && config.metrics.token.length < 32) {
    throw new ConfigError("METRICS_TOKEN must be at least 32 characters in production");
  }
  const { jwksUrl } = config.auth;
  if (jwksUrl !== undefined) {
    // Already known to parse: httpUrl() checked it.
    const url = new URL(jwksUrl);
    // Keys fetched over plain HTTP could be swapped on the way; only loopback (a sidecar) may skip TLS.
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
      throw new ConfigError(`JWKS_URL must be an https:// URL in production; got "${jwksUrl}"`);
    }
    // An identity provider signs tokens for every service it serves: without an audience, any of them would do here.
    if (!config.auth.jwtAudience) throw new ConfigError("JWT_AUDIENCE must be set with JWKS_URL in production");
  }
}

/** All three ADMIN_OIDC_* settings, or none: an issuer without an audience would accept tokens minted for any service. */
function adminOidc(read: (key: string) => string | undefined, list: (key: string) => string[]): AdminOidcConfig | undefined {
  const issuer = read("ADMIN_OIDC_ISSUER");
  const audience = read("ADMIN_OIDC_AUDIENCE");
  const serviceAccounts = list("ADMIN_OIDC_SERVICE_ACCOUNTS");
  if (!issuer) {
    if (audience || serviceAccounts.length) throw new ConfigError("ADMIN_OIDC_AUDIENCE and ADMIN_OIDC_SERVICE_ACCOUNTS need ADMIN_OIDC_ISSUER");
    return undefined;
  }
  if (!audience) throw new ConfigError("ADMIN_OIDC_AUDIENCE must be set with ADMIN_OIDC_ISSUER");
  if (serviceAccounts.length === 0) throw new ConfigError("ADMIN_OIDC_SERVICE_ACCOUNTS must list at least one service account");
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError(`ADMIN_OIDC_ISSUER must be a URL; got "${issuer}"`);
  }
  // Keys fetched over plain HTTP could be swapped on the way; only a loopback issuer (tests, sidecars) may skip TLS.
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new ConfigError(`ADMIN_OIDC_ISSUER must be an https:// URL; got "${issuer}"`);
  }
  return { issuer, audience, serviceAccounts };
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * TRUST_PROXY: "true" trusts every hop (only behind a proxy that all traffic passes), a number
 * trusts that many hops, anything else is Express's list of addresses, subnets or names
 * (loopback, linklocal, uniquelocal). Unset trusts none: X-Forwarded-For is ignored.
 */
function trustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || /^(false|0|no|off)$/i.test(raw)) return false;
  if (/^(true|yes|on)$/i.test(raw)) return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  for (const entry of raw.split(",").map((e) => e.trim())) {
    if (!/^(loopback|linklocal|uniquelocal)$/.test(entry) && !isAddressOrSubnet(entry)) {
      throw new ConfigError(`TRUST_PROXY must be true, a hop count, or addresses, subnets, loopback, linklocal or uniquelocal; got "${entry}"`);
    }
  }
  return raw;
}

/** "192.0.2.7", "192.0.2.0/24", "2001:db8::/32": what Express would otherwise refuse with a bare error at start-up. */
function isAddressOrSubnet(entry: string): boolean {
  const match = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(entry);
  if (!match) return false;
  const [, address, bits] = match;
  if (isIPv4(address)) return bits === undefined || Number(bits) <= 32;
  return isIPv6(address) && (bits === undefined || Number(bits) <= 128);
}

/** Start-up goes on, but an operator should hear about these. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.trustProxy === true || typeof config.trustProxy === "number") {
    warnings.push(
      `TRUST_PROXY=${config.trustProxy} believes X-Forwarded-For from whoever connects: a client that reaches this server directly chooses its own address for rate limits; list the proxy's addresses or subnets instead.`,
    );
  }
  if (config.auth.jwtSecret && config.auth.jwtSecret.length < 32) {
    warnings.push(`JWT_SECRET has ${config.auth.jwtSecret.length} characters: anyone who guesses it can sign tokens for any account; use at least 32 (production refuses fewer).`);
  }
  return warnings;
}

/** One DNS_SERVERS entry, read by the parser the engine uses, so that nothing passing here fails there. */
function dnsServer(server: string, key = "DNS_SERVERS"): DnsServerAddress {
  const expected = `${key} entries must be "ipv4", "ipv4:port", "[ipv6]" or "[ipv6]:port" with a port from 1 to 65535`;
  // "::1:5353" is itself a valid IPv6 address: taken literally it would silently mean port 53.
  if (isIP(server) === 6) throw new ConfigError(`${expected}; write "${server}" as [address]:port or [address]; got "${server}"`);
  try {
    return parseDnsServer(server);
  } catch {
    throw new ConfigError(`${expected}; got "${server}"`);
  }
}

/** Checked here rather than by the driver, whose messages never say which setting is wrong. */
function databaseUrl(raw: string): string {
  const expected = "DATABASE_URL must look like mysql://user:pass@host:3306/database (user and password percent-encoded) or sqlite:path/to/file.sqlite";
  if (!/^(mysql|mariadb):\/\//i.test(raw)) {
    if (/^sqlite:(\/\/)?./i.test(raw)) return raw;
    throw new ConfigError(`${expected}; got "${redactUrl(raw)}"`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${expected}, with a port from 1 to 65535; got "${redactUrl(raw)}"`);
  }
  if (!url.hostname) throw new ConfigError(`${expected}: the host is missing; got "${redactUrl(raw)}"`);
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    decodeURIComponent(url.pathname);
  } catch {
    throw new ConfigError(`${expected}: a "%" must start an escape such as %40 for "@"; got "${redactUrl(raw)}"`);
  }
  if (!/^\/[^/]+$/.test(url.pathname)) throw new ConfigError(`${expected}: the database name is missing; got "${redactUrl(raw)}"`);
  return raw;
}

function httpUrl(key: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === "https:" || url.protocol === "http:") return raw;
  } catch {
    // Refused below.
  }
  throw new ConfigError(`${key} must be an https:// URL (http:// for a local issuer); got "${raw}"`);
}

function redisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if ((url.protocol === "redis:" || url.protocol === "rediss:") && url.hostname) return raw;
  } catch {
    // Refused below.
  }
  throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379; got "${redactUrl(raw)}"`);
}

/** A password in a URL never reaches a log or a terminal. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
