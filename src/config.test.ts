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
