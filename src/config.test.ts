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

describe("settings of issue 13 (credentials)", () => {
  it("defaults to a development CA and key, 90-day certificates, a 24-hour CRL and 60-minute attestations", () => {
    const config = loadConfig(base);
    expect(config.publicUrl).toBe("http://localhost:4000");
    expect(config.credentials).toEqual({
      ca: undefined,
      devDir: "data",
      certTtlMs: 90 * 24 * 3600_000,
      crlValidityMs: 24 * 3600_000,
      tls: undefined,
      clientCertHeader: undefined,
      attestationKeyFile: undefined,
      attestationTtlMs: 3600_000,
    });
    expect(loadConfig({ ...base, PUBLIC_URL: "https://proof.example/" }).publicUrl).toBe("https://proof.example");
    expect(loadConfig({ ...base, TLS_PORT: "8443", TLS_CERT_FILE: "s.pem", TLS_KEY_FILE: "s.key" }).credentials.tls).toEqual({ port: 8443, certFile: "s.pem", keyFile: "s.key" });
  });

  it.each([
    [{ CA_CERT_FILE: "ca.pem" }, /CA_CERT_FILE and CA_KEY_FILE must be set together/],
    [{ CA_KEY_FILE: "ca.key" }, /CA_CERT_FILE and CA_KEY_FILE must be set together/],
    [{ CERT_TTL_DAYS: "398" }, /CERT_TTL_DAYS must be at most 397/],
    [{ CERT_TTL_DAYS: "0" }, /CERT_TTL_DAYS must be a positive number/],
    [{ CRL_VALIDITY_HOURS: "soon" }, /CRL_VALIDITY_HOURS must be a positive number/],
    [{ ATTESTATION_TTL_MINUTES: "-1" }, /ATTESTATION_TTL_MINUTES must be a positive number/],
    [{ TLS_PORT: "8443" }, /TLS_PORT needs TLS_CERT_FILE and TLS_KEY_FILE/],
    [{ TLS_CERT_FILE: "s.pem", TLS_KEY_FILE: "s.key" }, /need TLS_PORT/],
    [{ TLS_PORT: "99999", TLS_CERT_FILE: "s.pem", TLS_KEY_FILE: "s.key" }, /TLS_PORT must be a whole number/],
    [{ TLS_CLIENT_CERT_HEADER: "x-client-cert" }, /TLS_CLIENT_CERT_HEADER needs TRUST_PROXY/],
    [{ TLS_CLIENT_CERT_HEADER: "x client", TRUST_PROXY: "loopback" }, /TLS_CLIENT_CERT_HEADER must be a header name/],
    [{ PUBLIC_URL: "ftp://x" }, /PUBLIC_URL must be an http/],
    [{ NODE_ENV: "production", CA_CERT_FILE: "ca.pem", CA_KEY_FILE: "ca.key" }, /PUBLIC_URL must be set in production/],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });
});
