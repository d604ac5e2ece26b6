import { DEFAULT_CNAME_ZONE } from "./dns/records";

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
    servers: string[];
    timeoutMs: number;
    quorum?: number;
    mode: "recursive" | "authoritative";
    authoritativePort: number;
    allowPrivateNameservers: boolean;
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
    redisUrl?: string;
    /** Prepended to every Redis key, so deployments (and tests) can share one Redis. */
    redisKeyPrefix: string;
  };
  graphql: {
    introspection: boolean;
    maxDepth: number;
    maxComplexity: number;
    maxBatchOperations: number;
    maxBodyBytes: number;
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
  };
  subscriptions: {
    maxPerConnection: number;
    /** Per account on one instance. */
    maxPerAccount: number;
  };
  /** Express's "trust proxy": which hops may set X-Forwarded-For, so the client IP is right behind a proxy. */
  trustProxy: boolean | number | string;
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
  for (const server of servers) {
    if (!isResolverAddress(server)) {
      throw new ConfigError(`DNS_SERVERS entries must be "ip" or "ip:port"; got "${server}"`);
    }
  }
  const quorumRaw = read("DNS_QUORUM");
  const quorum = quorumRaw === undefined ? undefined : integer("DNS_QUORUM", 1, 1, 64);
  if (quorum !== undefined && mode === "recursive" && servers.length > 0 && quorum > servers.length) {
    throw new ConfigError(`DNS_QUORUM=${quorum} can never be met by the ${servers.length} DNS_SERVERS configured`);
  }

  const config: Config = {
    env: envName,
    port: integer("PORT", 4000, 0, 65535),
    host: read("HOST") ?? "0.0.0.0",
    databaseUrl: read("DATABASE_URL") ?? "sqlite:data/dnsproof.sqlite",
    logLevel: read("LOG_LEVEL") ?? "info",
    auth: {
      jwtSecret: read("JWT_SECRET"),
      jwksUrl: read("JWKS_URL"),
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
      timeoutMs: integer("DNS_TIMEOUT_MS", 3000, 50, 60_000),
      quorum,
      mode,
      authoritativePort: integer("DNS_AUTHORITATIVE_PORT", 53, 1, 65535),
      allowPrivateNameservers: boolean("DNS_AUTHORITATIVE_ALLOW_PRIVATE", false),
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
    scheduler: {
      enabled: boolean("SCHEDULER_ENABLED", true),
      intervalMs: duration("SCHEDULER_INTERVAL_SECONDS", 30, SECOND),
      batchSize: integer("SCHEDULER_BATCH_SIZE", 100, 1, 10_000),
    },
    rateLimits: {
      mutationsPerMinute: integer("RATE_LIMIT_MUTATIONS_PER_MINUTE", 10, 1),
      verifyPerMinute: integer("RATE_LIMIT_VERIFY_PER_MINUTE", 5, 1),
      redisUrl: read("REDIS_URL"),
      redisKeyPrefix: read("REDIS_KEY_PREFIX") ?? "dnsproof:",
    },
    graphql: {
      introspection: boolean("GRAPHQL_INTROSPECTION", envName !== "production"),
      maxDepth: integer("GRAPHQL_MAX_DEPTH", 12, 2, 100),
      maxComplexity: integer("GRAPHQL_MAX_COMPLEXITY", 250_000, 1),
      maxBatchOperations: integer("GRAPHQL_MAX_BATCH_OPERATIONS", 10, 1, 1000),
      maxBodyBytes: integer("GRAPHQL_MAX_BODY_BYTES", 100 * 1024, 1024, 64 * 1024 * 1024),
    },
    webhooks: {
      maxPerAccount: integer("MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT", 10, 1, 1000),
      retryDelaysMs: durations("WEBHOOK_RETRY_SECONDS", [5, 300, 1800, 7200, 18000, 36000, 36000], SECOND),
      disableAfterMs: duration("WEBHOOK_DISABLE_AFTER_HOURS", 120, HOUR),
      timeoutMs: integer("WEBHOOK_TIMEOUT_MS", 10_000, 100, 60_000),
      allowPrivate: boolean("WEBHOOK_ALLOW_PRIVATE", false),
      concurrency: integer("WEBHOOK_CONCURRENCY", 10, 1, 1000),
      workerEnabled: boolean("WEBHOOK_WORKER_ENABLED", true),
    },
    subscriptions: {
      maxPerConnection: integer("SUBSCRIPTIONS_PER_CONNECTION", 10, 1, 1000),
      maxPerAccount: integer("SUBSCRIPTIONS_PER_ACCOUNT", 100, 1, 100_000),
    },
    trustProxy: trustProxy(read("TRUST_PROXY")),
  };

  if (config.env === "production" && !config.auth.jwtSecret && !config.auth.jwksUrl) {
    throw new ConfigError("JWT_SECRET or JWKS_URL must be set when NODE_ENV=production");
  }
  if (config.auth.jwtSecret && config.auth.jwtSecret.length < 32 && config.env === "production") {
    throw new ConfigError("JWT_SECRET must be at least 32 characters in production");
  }
  return config;
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
    if (!/^(loopback|linklocal|uniquelocal)$/.test(entry) && !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry)) {
      throw new ConfigError(`TRUST_PROXY must be true, a hop count, or addresses, subnets, loopback, linklocal or uniquelocal; got "${entry}"`);
    }
  }
  return raw;
}

function isResolverAddress(value: string): boolean {
  const ipv4 = /^(\d{1,3})(\.\d{1,3}){3}(:\d{1,5})?$/;
  const bracketedV6 = /^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/;
  const bareV6 = /^[0-9a-fA-F:.]+$/;
  return ipv4.test(value) || bracketedV6.test(value) || (value.includes(":") && bareV6.test(value));
}
