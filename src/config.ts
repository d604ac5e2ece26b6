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
    cnameZone: string;
  };
  domains: {
    maxPerAccount: number;
    tokenTtlMs: number;
    reverifyIntervalMs: number;
    reverifyGraceMs: number;
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
  /** Express's "trust proxy": which hops may set X-Forwarded-For, so the client IP is right behind a proxy. */
  trustProxy: boolean | number | string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

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
      adminAllowApiKeys: boolean("ADMIN_ALLOW_API_KEYS", false),
      devSecretFile: read("DEV_SECRET_FILE") ?? "data/.dev-jwt-secret",
    },
    dns: {
      servers,
      timeoutMs: integer("DNS_TIMEOUT_MS", 3000, 50, 60_000),
      quorum,
      mode,
      authoritativePort: integer("DNS_AUTHORITATIVE_PORT", 53, 1, 65535),
      cnameZone: (read("VERIFY_CNAME_ZONE") ?? DEFAULT_CNAME_ZONE).replace(/\.$/, "").toLowerCase(),
    },
    domains: {
      maxPerAccount: integer("MAX_DOMAINS_PER_ACCOUNT", 5, 1),
      tokenTtlMs: duration("TOKEN_TTL_DAYS", 30, DAY),
      reverifyIntervalMs: duration("REVERIFY_INTERVAL_HOURS", 24, HOUR),
      reverifyGraceMs: duration("REVERIFY_GRACE_HOURS", 72, HOUR),
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
