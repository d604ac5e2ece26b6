import fc from "fast-check";
import { ConfigError, configWarnings, loadConfig, maxNameserversBounds, maxNameserversSetting, sections } from ".";
import { DEFAULT_MAX_NAMESERVERS, MAX_QUERIES_PER_VERIFICATION, createDomainVerifier } from "../../verification/client";
import { parseDnsServer } from "../dns-servers";
import { systemClock } from "../clock";

const base = { JWT_SECRET: "x".repeat(40) };

describe("query limits, proxies and admin API keys", () => {
  it("defaults to limits that let every legitimate query through", () => {
    const config = loadConfig(base);
    expect(config.graphql).toEqual({ introspection: true, maxDepth: 12, maxComplexity: 250_000, maxAliases: 30, maxTokens: 2_000, maxSelections: 300, maxBatchOperations: 10, maxBodyBytes: 102_400 });
    expect(config.trustProxy).toBe(false);
    expect(config.auth.adminAllowApiKeys).toBe(false);
    expect(config.rateLimits).toEqual({ mutationsPerMinute: 10, verifyPerMinute: 5, authFailuresPerMinute: 20, anonymousPerMinute: 120, redisUrl: undefined, redisKeyPrefix: "dnsproof:" });
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
    ["TRUST_PROXY", "999.0.0.1"],
    ["TRUST_PROXY", "10.0.0.0/33"],
    ["TRUST_PROXY", "127.1"],
    ["GRAPHQL_MAX_DEPTH", "1"],
    ["GRAPHQL_MAX_COMPLEXITY", "0"],
    ["GRAPHQL_MAX_BATCH_OPERATIONS", "many"],
    ["GRAPHQL_MAX_BODY_BYTES", "10"],
    ["ADMIN_ALLOW_API_KEYS", "maybe"],
  ])("refuses %s=%j", (key, value) => {
    expect(() => loadConfig({ ...base, [key]: value })).toThrow(ConfigError);
  });
});

describe("production settings", () => {
  const production = { ...base, NODE_ENV: "production" };

  it.each([
    [{ ADMIN_SECRET: "short-secret" }, "ADMIN_SECRET must be at least 32 characters in production"],
    [{ METRICS_TOKEN: "short" }, "METRICS_TOKEN must be at least 32 characters in production"],
    [{ JWKS_URL: "http://idp.example.com/jwks.json", JWT_AUDIENCE: "dnsproof" }, 'JWKS_URL must be an https:// URL in production; got "http://idp.example.com/jwks.json"'],
    [{ JWKS_URL: "https://idp.example.com/jwks.json" }, "JWT_AUDIENCE must be set with JWKS_URL in production"],
    [{ JWKS_URL: "not a url", JWT_AUDIENCE: "dnsproof" }, 'JWKS_URL must be an https:// URL (http:// for a local issuer); got "not a url"'],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => loadConfig({ ...production, ...env })).toThrow(new ConfigError(message));
  });

  it("accepts what production should run with, and is lenient outside it", () => {
    expect(() => loadConfig({ ...production, ADMIN_SECRET: "s".repeat(32), JWKS_URL: "https://idp.example.com/jwks.json", JWT_AUDIENCE: "dnsproof" })).not.toThrow();
    expect(() => loadConfig({ ...production, JWKS_URL: "http://127.0.0.1:8080/jwks.json", JWT_AUDIENCE: "dnsproof" })).not.toThrow();
    expect(() => loadConfig({ ...base, ADMIN_SECRET: "short", JWKS_URL: "http://idp.example.com/jwks.json" })).not.toThrow();
  });

  it("keeps /metrics closed in production unless METRICS_PUBLIC=true", () => {
    expect(loadConfig(production).metrics).toEqual({ token: undefined, public: false });
    expect(loadConfig({ ...production, METRICS_PUBLIC: "true" }).metrics.public).toBe(true);
    expect(loadConfig(base).metrics.public).toBe(true);
  });
});

describe("binding, URLs and DNS servers", () => {
  it("binds to loopback outside production and to every address in production", () => {
    expect(loadConfig(base).host).toBe("127.0.0.1");
    expect(loadConfig({ ...base, NODE_ENV: "production" }).host).toBe("0.0.0.0");
    expect(loadConfig({ ...base, HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
  });

  it.each([
    ["DATABASE_URL", "mysql://root@127.0.0.1:99999/dnsproof", /DATABASE_URL must look like mysql:\/\/.*port from 1 to 65535/],
    ["DATABASE_URL", "mysql://root:p%zz@127.0.0.1:3306/dnsproof", /DATABASE_URL .*"%" must start an escape.*root:\*\*\*@/],
    ["DATABASE_URL", "mysql://root@127.0.0.1:3306", /DATABASE_URL .*database name is missing/],
    ["DATABASE_URL", "mysql://root@127.0.0.1:3306/", /DATABASE_URL .*database name is missing/],
    ["DATABASE_URL", "postgres://x/y", /DATABASE_URL must look like/],
    ["JWKS_URL", "notaurl", /JWKS_URL must be an https:\/\/ URL.*"notaurl"/],
    ["REDIS_URL", "notaurl", /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL.*"notaurl"/],
    ["DNS_SERVERS", "127.0.0.1:99999", /DNS_SERVERS entries must be .*port from 1 to 65535; got "127.0.0.1:99999"/],
    ["DNS_SERVERS", "::1:5353", /DNS_SERVERS .*write "::1:5353" as \[address\]:port/],
    ["DNS_SERVERS", "::1", /DNS_SERVERS .*\[address\]/],
    ["DNS_SERVERS", "resolver.example", /DNS_SERVERS entries must be/],
  ])("refuses %s=%j, naming the variable and what it expects", (key, value, message) => {
    expect(() => loadConfig({ ...base, [key]: value })).toThrow(message);
  });

  it.each([["mysql://u:p%40ss@db.internal:3306/dnsproof"], ["mariadb://root@127.0.0.1/dnsproof"], ["sqlite:data/x.sqlite"], ["sqlite:///tmp/x.sqlite"]])(
    "accepts DATABASE_URL=%j",
    (url) => {
      expect(loadConfig({ ...base, DATABASE_URL: url }).databaseUrl).toBe(url);
    },
  );

  it("accepts bracketed IPv6 DNS servers and valid Redis and JWKS URLs", () => {
    const config = loadConfig({ ...base, DNS_SERVERS: "[::1]:5353, 127.0.0.1:53, [fd00::1]", REDIS_URL: "redis://127.0.0.1:6379/2", JWKS_URL: "https://id.example/jwks.json" });
    expect(config.dns.servers).toEqual(["[::1]:5353", "127.0.0.1:53", "[fd00::1]"]);
  });

  it("warns about a short JWT_SECRET outside production", () => {
    expect(configWarnings(loadConfig({ JWT_SECRET: "abc" }))).toEqual([expect.stringContaining("JWT_SECRET has 3 characters")]);
    expect(configWarnings(loadConfig(base))).toEqual([]);
    expect(configWarnings(loadConfig({ ...base, TRUST_PROXY: "1" }))).toEqual([expect.stringContaining("TRUST_PROXY=1 believes X-Forwarded-For from whoever connects")]);
    expect(configWarnings(loadConfig({ ...base, TRUST_PROXY: "10.0.0.5" }))).toEqual([]);
  });
});

describe("credentials", () => {
  it("defaults to a development CA and key, 90-day certificates, a 24-hour CRL and 60-minute attestations", () => {
    const config = loadConfig(base);
    expect(config.publicUrl).toBe("http://localhost:4000");
    expect(config.credentials).toEqual({
      ca: undefined,
      devDir: "data",
      certTtlMs: 90 * 24 * 3600_000,
      maxCertificatesPerDomain: 10,
      crlValidityMs: 24 * 3600_000,
      crlRefreshMs: 5000,
      crlMinRebuildMs: 10_000,
      tls: undefined,
      clientCertHeader: undefined,
      attestationKeyFile: undefined,
      attestationTtlMs: 3600_000,
    });
    expect(loadConfig({ ...base, TRUST_PROXY: "10.0.0.5, fd00::/8", TLS_CLIENT_CERT_HEADER: "X-Client-Cert" }).credentials).toMatchObject({
      clientCertHeader: "x-client-cert",
      clientCertProxies: ["10.0.0.5", "fd00::/8"],
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
    [{ CRL_REFRESH_SECONDS: "0" }, /CRL_REFRESH_SECONDS must be a positive number/],
    [{ CRL_MIN_REBUILD_SECONDS: "3601" }, /CRL_MIN_REBUILD_SECONDS must be at most 3600/],
    [{ ATTESTATION_TTL_MINUTES: "-1" }, /ATTESTATION_TTL_MINUTES must be a positive number/],
    [{ TLS_PORT: "8443" }, /TLS_PORT needs TLS_CERT_FILE and TLS_KEY_FILE/],
    [{ TLS_CERT_FILE: "s.pem", TLS_KEY_FILE: "s.key" }, /need TLS_PORT/],
    [{ TLS_PORT: "99999", TLS_CERT_FILE: "s.pem", TLS_KEY_FILE: "s.key" }, /TLS_PORT must be a whole number/],
    [{ TLS_CLIENT_CERT_HEADER: "x-client-cert" }, /TLS_CLIENT_CERT_HEADER needs TRUST_PROXY/],
    [{ TLS_CLIENT_CERT_HEADER: "x-client-cert", TRUST_PROXY: "true" }, /TLS_CLIENT_CERT_HEADER needs TRUST_PROXY to name the proxy, not true.*TRUST_PROXY=10\.0\.0\.5/],
    [{ TLS_CLIENT_CERT_HEADER: "x-client-cert", TRUST_PROXY: "1" }, /TLS_CLIENT_CERT_HEADER needs TRUST_PROXY to name the proxy, not a hop count \(1\)/],
    [{ TLS_CLIENT_CERT_HEADER: "x client", TRUST_PROXY: "loopback" }, /TLS_CLIENT_CERT_HEADER must be a header name/],
    [{ PUBLIC_URL: "ftp://x" }, /PUBLIC_URL must be an http/],
    [{ NODE_ENV: "production", CA_CERT_FILE: "ca.pem", CA_KEY_FILE: "ca.key" }, /PUBLIC_URL must be set in production/],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });
});

describe("events: webhooks and subscriptions", () => {
  it("defaults to the documented retry ladder, limits and a closed network policy", () => {
    const config = loadConfig(base);
    expect(config.webhooks).toEqual({
      maxPerAccount: 10,
      retryDelaysMs: [5, 300, 1800, 7200, 18000, 36000, 36000].map((s) => s * 1000),
      disableAfterMs: 120 * 3_600_000,
      timeoutMs: 10_000,
      allowPrivate: false,
      concurrency: 10,
      workerEnabled: true,
      concurrencyPerAccount: 5,
      concurrencyPerEndpoint: 2,
      dnsServers: [],
      dnsTimeoutMs: 3000,
    });
    expect(config.subscriptions).toEqual({
      maxPerConnection: 10,
      maxPerAccount: 100,
      maxReplay: 1000,
      maxConnectionsPerAccount: 50,
      maxConnectionsPerAddress: 100,
      idleTimeoutMs: 30_000,
    });
    expect(config.domains.tokenExpiryWarningMs).toBe(72 * 3_600_000);
  });

  it("reads the webhook resolvers as the DNS_SERVERS forms, written as c-ares takes them", () => {
    const config = loadConfig({ ...base, WEBHOOK_DNS_SERVERS: "127.0.0.1:5353, [::1], 10.0.0.53", WEBHOOK_CONCURRENCY_PER_ACCOUNT: "3", WEBHOOK_CONCURRENCY_PER_ENDPOINT: "1" });
    expect(config.webhooks).toMatchObject({ dnsServers: ["127.0.0.1:5353", "[::1]:53", "10.0.0.53:53"], concurrencyPerAccount: 3, concurrencyPerEndpoint: 1 });
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
    ["WEBHOOK_CONCURRENCY_PER_ACCOUNT", "0"],
    ["WEBHOOK_CONCURRENCY_PER_ENDPOINT", "many"],
    ["WEBHOOK_DNS_TIMEOUT_MS", "10"],
    ["WEBHOOK_DNS_SERVERS", "resolver.example.com"],
    ["WEBHOOK_DNS_SERVERS", "::1:5353"],
    ["MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT", "0"],
    ["SUBSCRIPTIONS_PER_CONNECTION", "-1"],
    ["SUBSCRIPTIONS_PER_ACCOUNT", "lots"],
    ["SUBSCRIPTIONS_MAX_REPLAY", "0"],
    ["WS_MAX_CONNECTIONS_PER_ACCOUNT", "0"],
    ["WS_MAX_CONNECTIONS_PER_ADDRESS", "many"],
    ["WS_IDLE_TIMEOUT_MS", "50"],
    ["TOKEN_EXPIRY_WARNING_HOURS", "-3"],
  ])("refuses %s=%j, naming it", (key, value) => {
    expect(() => loadConfig({ ...base, [key]: value })).toThrow(new RegExp(key));
  });
});

describe("DNS settings, read by the parser the engine uses", () => {
  /** What loadConfig threw, so one test can ask both what it is and what it says. */
  const refusal = (env: Record<string, string>): unknown => {
    try {
      loadConfig({ ...base, ...env });
    } catch (error) {
      return error;
    }
    throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
  };

  it.each([
    ["999.1.1.1"],
    ["1.2.3.4:99999"],
    ["1.2.3.4:0"],
    ["1.2.3.4:"],
    ["[::1"],
    ["[::1]:"],
    ["[::1]:70000"],
    ["[fd00::1]x"],
    ["1.2.3"],
    ["127.0.0.1, 999.1.1.1"],
  ])("refuses DNS_SERVERS=%j as a ConfigError naming the variable and the bad entry", (value) => {
    const bad = value.split(",").map((s) => s.trim()).find((spec) => spec !== "127.0.0.1")!;
    const error = refusal({ DNS_SERVERS: value });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^DNS_SERVERS entries must be /);
    expect((error as Error).message).toContain(`got "${bad}"`);
  });

  it.each(["999.1.1.1", "1.2.3.4:99999", "[::1", "[1.2.3.4", "localhost:53", "1.2.3.4:+53", "1.2.3.4:5e1", "[::1]:0x35", "::ffff:999.1.1.1"])(
    "refuses %j, which the engine's parser refuses too",
    (spec) => {
      expect(() => parseDnsServer(spec)).toThrow(RangeError);
      expect(refusal({ DNS_SERVERS: spec })).toBeInstanceOf(ConfigError);
    },
  );

  it("accepts no DNS_SERVERS entry the engine's parser would refuse, and stores what that parser reads", () => {
    const port = fc.integer({ min: -1, max: 70_000 }).map(String);
    const entry = fc.oneof(
      fc.string({ unit: fc.constantFrom(..."0123456789abcdef.:[]%+ x"), maxLength: 24 }),
      fc.tuple(fc.ipV4(), port).map(([ip, p]) => `${ip}:${p}`),
      fc.tuple(fc.ipV4Extended(), fc.constantFrom("", ":53")).map(([ip, p]) => `${ip}${p}`),
      fc.tuple(fc.ipV6(), fc.constantFrom("", ":", ":53"), port).map(([ip, colon, p]) => `[${ip}]${colon}${colon === ":" ? p : ""}`),
      fc.ipV6(),
    );
    fc.assert(
      fc.property(entry, (spec) => {
        let config;
        try {
          config = loadConfig({ ...base, DNS_SERVERS: spec });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).toMatch(/^DNS_SERVERS entries must be .*; got "/);
          return;
        }
        expect(config.dns.resolvers).toEqual(spec.trim() === "" ? [] : [parseDnsServer(spec)]);
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps the servers as written and, parsed once, as the engine asks them", () => {
    const config = loadConfig({ ...base, DNS_SERVERS: "127.0.0.1, 10.0.0.2:5353, [fd00::1]:53" });
    expect(config.dns.servers).toEqual(["127.0.0.1", "10.0.0.2:5353", "[fd00::1]:53"]);
    expect(config.dns.resolvers).toEqual([
      { address: "127.0.0.1", port: 53, family: 4 },
      { address: "10.0.0.2", port: 5353, family: 4 },
      { address: "fd00::1", port: 53, family: 6 },
    ]);
    expect(loadConfig(base).dns).toMatchObject({ servers: [], resolvers: [] });
  });

  it.each([
    [{ DNS_SERVERS: "127.0.0.1", DNS_QUORUM: "2" }, "DNS_QUORUM=2 can never be met by the 1 DNS_SERVERS configured"],
    [{ DNS_SERVERS: "127.0.0.1,127.0.0.2", DNS_QUORUM: "3" }, "DNS_QUORUM=3 can never be met by the 2 DNS_SERVERS configured"],
    [{ DNS_SERVERS: "127.0.0.1", DNS_QUORUM: "0" }, 'DNS_QUORUM must be a whole number from 1 to 64; got "0"'],
    [{ DNS_SERVERS: "127.0.0.1", DNS_QUORUM: "1.5" }, 'DNS_QUORUM must be a whole number from 1 to 64; got "1.5"'],
  ])("refuses %j, naming the variable", (env, message) => {
    const error = refusal(env);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(message);
  });

  it("leaves a quorum larger than the servers to authoritative mode, where the zone's nameservers vote, and to the engine when the system's resolvers are used", () => {
    expect(loadConfig({ ...base, DNS_SERVERS: "127.0.0.1", DNS_QUORUM: "3", DNS_MODE: "authoritative" }).dns.quorum).toBe(3);
    expect(loadConfig({ ...base, DNS_QUORUM: "3" }).dns.quorum).toBe(3);
    expect(loadConfig({ ...base, DNS_SERVERS: "127.0.0.1,127.0.0.2", DNS_QUORUM: "2" }).dns.quorum).toBe(2);
  });
});

describe("every problem at once", () => {
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
  };

  it("reads the DNSSEC settings, and refuses require-secure without resolvers trusted to validate", () => {
    expect(loadConfig(base).dns).toMatchObject({ resolversValidate: false, dnssecPolicy: "observe" });
    expect(loadConfig({ ...base, DNS_RESOLVERS_VALIDATE: "true", DNSSEC_POLICY: "require-secure" }).dns).toMatchObject({
      resolversValidate: true,
      dnssecPolicy: "require-secure",
    });
    expect(problemsOf({ ...base, DNSSEC_POLICY: "require-secure" })).toEqual([
      "DNSSEC_POLICY=require-secure needs DNS_RESOLVERS_VALIDATE=true: without a resolver trusted to validate, no answer is SECURE",
    ]);
    expect(problemsOf({ ...base, DNSSEC_POLICY: "strict" })).toEqual(['DNSSEC_POLICY must be "observe" or "require-secure"; got "strict"']);
  });

  it("refuses three bad settings in one failure that names all three", () => {
    const env = { ...base, PORT: "http", DNS_MODE: "fast", WEBHOOK_TIMEOUT_MS: "5" };
    const problems = [
      'PORT must be a whole number from 0 to 65535; got "http"',
      'DNS_MODE must be "recursive" or "authoritative"; got "fast"',
      'WEBHOOK_TIMEOUT_MS must be a whole number from 100 to 60000; got "5"',
    ];
    expect(problemsOf(env)).toEqual(problems);
    expect(() => loadConfig(env)).toThrow(new ConfigError(`3 settings need fixing:\n${problems.map((p) => `  - ${p}`).join("\n")}`));
  });

  it("reports broken combinations beside refused values", () => {
    expect(problemsOf({ NODE_ENV: "production", PORT: "-1", CA_CERT_FILE: "ca.pem", TLS_PORT: "8443" })).toEqual([
      'PORT must be a whole number from 0 to 65535; got "-1"',
      "CA_CERT_FILE and CA_KEY_FILE must be set together",
      "TLS_PORT needs TLS_CERT_FILE and TLS_KEY_FILE",
      "JWT_SECRET or JWKS_URL must be set when NODE_ENV=production",
    ]);
  });

  it("leaves a combination unjudged when one of its values was refused, rather than judge the default standing in", () => {
    expect(problemsOf({ ...base, DNS_SERVERS: "127.0.0.1, bad", DNS_QUORUM: "3" })).toEqual([expect.stringMatching(/^DNS_SERVERS entries must be .*got "bad"$/)]);
    expect(problemsOf({ ...base, NODE_ENV: "production", JWKS_URL: "nope" })).toEqual(['JWKS_URL must be an https:// URL (http:// for a local issuer); got "nope"']);
  });

  it("keeps a single problem's message as it is, for callers that print or match it", () => {
    expect(new ConfigError("X must be set").message).toBe("X must be set");
    expect(new ConfigError("X must be set").problems).toEqual(["X must be set"]);
  });
});

describe("the declarations", () => {
  it("give the DNS engine DNS_MAX_NAMESERVERS's default, with a bound its query budget can always afford", () => {
    expect(DEFAULT_MAX_NAMESERVERS).toBe(loadConfig(base).dns.maxNameservers);
    expect(DEFAULT_MAX_NAMESERVERS).toBe(maxNameserversSetting.defaultValue);
    // A TXT and a CNAME query per nameserver, with room left for discovery and hint probes.
    expect(2 * maxNameserversBounds.max).toBeLessThan(MAX_QUERIES_PER_VERIFICATION);
    expect(() => loadConfig({ ...base, DNS_MAX_NAMESERVERS: String(maxNameserversBounds.max + 1) })).toThrow(/DNS_MAX_NAMESERVERS must be a whole number from 1 to 32/);
  });

  it("hold the DNS engine to the same bounds when it is built directly", () => {
    const { dns } = loadConfig({ ...base, DNS_SERVERS: "127.0.0.1:53" });
    const engine = (maxNameservers: number) => () => createDomainVerifier({ ...dns, servers: dns.resolvers, maxNameservers, clock: systemClock });
    expect(engine(maxNameserversBounds.max)).not.toThrow();
    expect(engine(maxNameserversBounds.max + 1)).toThrow(/nameserver cap must be a whole number from 1 to 32, not 33/);
    expect(engine(maxNameserversBounds.min - 1)).toThrow(/from 1 to 32, not 0/);
  });

  it("declare every variable once, each with a line of documentation", () => {
    const variables = sections.flatMap((section) => Object.values(section.settings));
    expect(new Set(variables.map((variable) => variable.env)).size).toBe(variables.length);
    for (const variable of variables) {
      expect(variable.doc).not.toMatch(/\n/);
      expect(variable.doc.length).toBeGreaterThan(5);
    }
  });
});
