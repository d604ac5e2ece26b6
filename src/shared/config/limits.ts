import { boolean, integer } from "./parsers";
import { section, setting } from "./setting";
import type { Config } from "./types";

const perMinute = integer({ min: 1 });

const settings = {
  maxDomainsPerAccount: setting({ env: "MAX_DOMAINS_PER_ACCOUNT", parser: integer({ min: 1 }), default: "5", doc: "claims one account may hold" }),
  maxApiKeysPerAccount: setting({
    env: "MAX_API_KEYS_PER_ACCOUNT",
    parser: integer({ min: 1, max: 10_000 }),
    default: "25",
    doc: "active (unrevoked) API keys one account may hold (`API_KEY_LIMIT_REACHED`)",
  }),
  mutationsPerMinute: setting({
    env: "RATE_LIMIT_MUTATIONS_PER_MINUTE",
    parser: perMinute,
    default: "10",
    doc: "claimDomain, regenerateToken, removeDomain, createApiKey, revokeApiKey, the certificate and attestation mutations and the webhook endpoint mutations together, per account",
  }),
  verifyPerMinute: setting({ env: "RATE_LIMIT_VERIFY_PER_MINUTE", parser: perMinute, default: "5", doc: "verifyDomain, per account" }),
  authFailuresPerMinute: setting({
    env: "RATE_LIMIT_AUTH_FAILURES_PER_MINUTE",
    parser: perMinute,
    default: "20",
    doc: "failed authentications (wrong secret, bad token or key) per client IP; past it, requests with credentials get `RATE_LIMITED` (429) unread until the window frees",
  }),
  anonymousPerMinute: setting({
    env: "RATE_LIMIT_ANONYMOUS_PER_MINUTE",
    parser: perMinute,
    default: "120",
    doc: "requests without any credentials (no bearer token, API key or client certificate) per client IP, counted before the document is parsed; past it `RATE_LIMITED` (429)",
  }),
  introspection: setting({
    env: "GRAPHQL_INTROSPECTION",
    parser: boolean,
    defaultDoc: "`true` outside production, `false` in production",
    doc: "serve introspection",
  }),
  maxDepth: setting({ env: "GRAPHQL_MAX_DEPTH", parser: integer({ min: 2, max: 100 }), default: "12", doc: "deepest field nesting served (`QUERY_TOO_DEEP`)" }),
  maxComplexity: setting({
    env: "GRAPHQL_MAX_COMPLEXITY",
    parser: integer({ min: 1 }),
    default: "250000",
    doc:
      "highest cost of one request, every operation of a batch together: one per object, a connection at least its `first` (the rows it fetches) " +
      "whatever is selected, `totalCount` one more (`QUERY_TOO_COMPLEX`)",
  }),
  maxAliases: setting({ env: "GRAPHQL_MAX_ALIASES", parser: integer({ min: 0, max: 10_000 }), default: "30", doc: "most aliases in one operation (`TOO_MANY_ALIASES`)" }),
  maxTokens: setting({
    env: "GRAPHQL_MAX_TOKENS",
    parser: integer({ min: 100, max: 1_000_000 }),
    default: "2000",
    doc: "most lexical tokens in one document; parsing stops past it (`QUERY_TOO_COMPLEX` with `maxTokens`)",
  }),
  maxSelections: setting({
    env: "GRAPHQL_MAX_SELECTIONS",
    parser: integer({ min: 10, max: 100_000 }),
    default: "300",
    doc: "most selections (fields, fragment spreads, inline fragments) written in one document, refused before validation (`QUERY_TOO_COMPLEX` with `maxSelections`)",
  }),
  maxBatchOperations: setting({
    env: "GRAPHQL_MAX_BATCH_OPERATIONS",
    parser: integer({ min: 1, max: 1000 }),
    default: "10",
    doc: "most operations in one batched request (`TOO_MANY_OPERATIONS`)",
  }),
  maxBodyBytes: setting({
    env: "GRAPHQL_MAX_BODY_BYTES",
    parser: integer({ min: 1024, max: 64 * 1024 * 1024 }),
    default: "102400",
    doc: "largest request body accepted (HTTP 413, `PAYLOAD_TOO_LARGE`)",
  }),
  maxPerConnection: setting({
    env: "SUBSCRIPTIONS_PER_CONNECTION",
    parser: integer({ min: 1, max: 1000 }),
    default: "10",
    doc: "subscriptions one WebSocket connection may run",
  }),
  maxPerAccount: setting({
    env: "SUBSCRIPTIONS_PER_ACCOUNT",
    parser: integer({ min: 1, max: 100_000 }),
    default: "100",
    doc: "subscriptions one account may run on one instance",
  }),
  maxReplay: setting({
    env: "SUBSCRIPTIONS_MAX_REPLAY",
    parser: integer({ min: 1, max: 100_000 }),
    default: "1000",
    doc:
      "entries one subscribe's replay (`after:`) sends at most, and never more than `GRAPHQL_MAX_COMPLEXITY` divided by the cost of one entry's selection; " +
      "past it the subscription ends with `REPLAY_TOO_LONG` and the client subscribes again from the last cursor",
  }),
  maxConnectionsPerAccount: setting({
    env: "WS_MAX_CONNECTIONS_PER_ACCOUNT",
    parser: integer({ min: 1, max: 100_000 }),
    default: "50",
    doc: "WebSocket connections one account may hold open on one instance; the next is closed with 4429",
  }),
  maxConnectionsPerAddress: setting({
    env: "WS_MAX_CONNECTIONS_PER_ADDRESS",
    parser: integer({ min: 1, max: 100_000 }),
    default: "100",
    doc: "WebSocket connections one client address (as `TRUST_PROXY` makes it out, like HTTP's) may hold open on one instance, authenticated or not; past it the upgrade is answered 429",
  }),
  idleTimeoutMs: setting({
    env: "WS_IDLE_TIMEOUT_MS",
    parser: integer({ min: 100, max: 3_600_000 }),
    default: "30000",
    doc: "a WebSocket connection that runs no subscription for this long is closed (4408)",
  }),
};

type LimitsSlice = Pick<Config, "apiKeys" | "graphql" | "subscriptions"> & {
  domains: Pick<Config["domains"], "maxPerAccount">;
  rateLimits: Omit<Config["rateLimits"], "redisUrl" | "redisKeyPrefix">;
};

export const limitsSection = section({
  title: "Limits: per account, per client, per request",
  settings,
  build: (v, { env }): LimitsSlice => ({
    domains: { maxPerAccount: v.maxDomainsPerAccount },
    apiKeys: { maxPerAccount: v.maxApiKeysPerAccount },
    rateLimits: {
      mutationsPerMinute: v.mutationsPerMinute,
      verifyPerMinute: v.verifyPerMinute,
      authFailuresPerMinute: v.authFailuresPerMinute,
      anonymousPerMinute: v.anonymousPerMinute,
    },
    graphql: {
      introspection: v.introspection ?? env !== "production",
      maxDepth: v.maxDepth,
      maxComplexity: v.maxComplexity,
      maxAliases: v.maxAliases,
      maxTokens: v.maxTokens,
      maxSelections: v.maxSelections,
      maxBatchOperations: v.maxBatchOperations,
      maxBodyBytes: v.maxBodyBytes,
    },
    subscriptions: {
      maxPerConnection: v.maxPerConnection,
      maxPerAccount: v.maxPerAccount,
      maxReplay: v.maxReplay,
      maxConnectionsPerAccount: v.maxConnectionsPerAccount,
      maxConnectionsPerAddress: v.maxConnectionsPerAddress,
      idleTimeoutMs: v.idleTimeoutMs,
    },
  }),
});
