import { ConfigError, loadConfig } from "./config";

const base = { JWT_SECRET: "x".repeat(40) };

describe("settings of issue 5", () => {
  it("defaults to limits that let every legitimate query through", () => {
    const config = loadConfig(base);
    expect(config.graphql).toEqual({ introspection: true, maxDepth: 12, maxComplexity: 250_000, maxBatchOperations: 10, maxBodyBytes: 102_400 });
    expect(config.trustProxy).toBe(false);
    expect(config.auth.adminAllowApiKeys).toBe(false);
    expect(config.rateLimits).toEqual({ mutationsPerMinute: 10, verifyPerMinute: 5, redisUrl: undefined, redisKeyPrefix: "dnsproof:" });
    expect(loadConfig({ ...base, NODE_ENV: "production" }).graphql.introspection).toBe(false);
  });

  it.each([
    ["true", true],
    ["false", false],
    ["2", 2],
    ["loopback", "loopback"],
    ["10.0.0.0/8, 192.168.1.7", "10.0.0.0/8, 192.168.1.7"],
    ["loopback,uniquelocal,fd00::/8", "loopback,uniquelocal,fd00::/8"],
  ])("reads TRUST_PROXY=%j", (raw, expected) => {
    expect(loadConfig({ ...base, TRUST_PROXY: raw }).trustProxy).toEqual(expected);
  });

  it.each([
    ["TRUST_PROXY", "everyone"],
    ["GRAPHQL_MAX_DEPTH", "1"],
    ["GRAPHQL_MAX_COMPLEXITY", "0"],
    ["GRAPHQL_MAX_BATCH_OPERATIONS", "many"],
    ["GRAPHQL_MAX_BODY_BYTES", "10"],
    ["ADMIN_ALLOW_API_KEYS", "maybe"],
  ])("refuses %s=%j", (key, value) => {
    expect(() => loadConfig({ ...base, [key]: value })).toThrow(ConfigError);
  });
});

describe("settings of issue 12 (events)", () => {
  it("defaults to the issue's retry ladder, limits and a closed network policy", () => {
    const config = loadConfig(base);
    expect(config.webhooks).toEqual({
      maxPerAccount: 10,
      retryDelaysMs: [5, 300, 1800, 7200, 18000, 36000, 36000].map((s) => s * 1000),
      disableAfterMs: 120 * 3_600_000,
      timeoutMs: 10_000,
      allowPrivate: false,
      concurrency: 10,
      workerEnabled: true,
    });
    expect(config.subscriptions).toEqual({ maxPerConnection: 10, maxPerAccount: 100 });
    expect(config.domains.tokenExpiryWarningMs).toBe(72 * 3_600_000);
  });

  it("reads fractions of seconds and hours, so tests can watch retries and disabling happen", () => {
    const config = loadConfig({ ...base, WEBHOOK_RETRY_SECONDS: "0.2, 1", WEBHOOK_DISABLE_AFTER_HOURS: "0.001", WEBHOOK_ALLOW_PRIVATE: "true" });
    expect(config.webhooks).toMatchObject({ retryDelaysMs: [200, 1000], disableAfterMs: 3600, allowPrivate: true });
  });

  it.each([
    ["WEBHOOK_RETRY_SECONDS", "5,soon"],
    ["WEBHOOK_DISABLE_AFTER_HOURS", "0"],
    ["WEBHOOK_TIMEOUT_MS", "5"],
    ["WEBHOOK_ALLOW_PRIVATE", "sometimes"],
    ["WEBHOOK_CONCURRENCY", "0"],
    ["WEBHOOK_WORKER_ENABLED", "2"],
    ["MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT", "0"],
    ["SUBSCRIPTIONS_PER_CONNECTION", "-1"],
    ["SUBSCRIPTIONS_PER_ACCOUNT", "lots"],
    ["TOKEN_EXPIRY_WARNING_HOURS", "-3"],
  ])("refuses %s=%j, naming it", (key, value) => {
    expect(() => loadConfig({ ...base, [key]: value })).toThrow(new RegExp(key));
  });
});
