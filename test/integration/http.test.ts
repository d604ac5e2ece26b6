import net from "node:net";
import mysql from "mysql2/promise";
import pino from "pino";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/shared/config";
import { DATABASE_FLAVORS, createScratchDatabase, MARIADB_SERVER_URL } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

describe.each(DATABASE_FLAVORS)("HTTP surface on %s", (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ db });
  });
  afterAll(async () => t?.close());

  it("answers /healthz and /readyz", async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    // The test apps' resolver (127.0.0.1:9) answers nothing: verifications cannot work, the rest can.
    expect(await ready.json()).toEqual({
      status: "degraded",
      degraded: ["dns"],
      checks: {
        database: { state: "up", latencyMs: expect.any(Number) },
        redis: { state: "off", latencyMs: expect.any(Number), detail: expect.any(String) },
        dns: { state: "down", latencyMs: expect.any(Number), detail: "0 of 1 resolvers answer" },
        credentials: { state: "up", latencyMs: expect.any(Number), detail: expect.any(String) },
      },
    });
  });

  it("echoes a valid x-request-id and makes one otherwise", async () => {
    const echoed = await t.gql(`{ viewer { accountId } }`, {}, { headers: { "x-request-id": "trace-123.abc" } });
    expect(echoed.headers.get("x-request-id")).toBe("trace-123.abc");
    const replaced = await t.gql(`{ viewer { accountId } }`, {}, { headers: { "x-request-id": "bad id with spaces" } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect((await fetch(`${t.url}/healthz`)).headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses every field without credentials, but __typename and introspection", async () => {
    for (const query of [`{ viewer { accountId } }`, `{ domains { totalCount } }`, `mutation { claimDomain(input: { name: "x.example.com" }) { created } }`, `{ __typename viewer { accountId } }`]) {
      const result = await t.gql(query, {}, { token: null });
      expect(result.status).toBe(401);
      expect(result.body.data).toBeUndefined();
      expect(result.body.errors).toEqual([expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" } })]);
    }
    expect((await t.gql(`{ __typename }`, {}, { token: null })).body).toEqual({ data: { __typename: "Query" } });
    const introspection = await t.gql(`{ __schema { queryType { name } } }`, {}, { token: null });
    expect(introspection.body.data.__schema.queryType.name).toBe("Query");
  });

  it("says why a token was refused", async () => {
    const garbage = await t.gql(`{ viewer { accountId } }`, {}, { token: "not-a-jwt" });
    expect(garbage.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^The bearer token is not a JWT\. /), extensions: { code: "UNAUTHENTICATED" } });
  });

  it("answers malformed and oversized bodies in GraphQL's error shape", async () => {
    const bad = await fetch(`${t.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(bad.status).toBe(400);
    const body = await bad.text();
    expect(JSON.parse(body)).toEqual({ errors: [{ message: "The request body is not valid JSON.", extensions: { code: "BAD_REQUEST" } }] });
    expect(body).not.toMatch(/at |node_modules|\/work\//);
    const big = await fetch(`${t.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: `{ __typename }`, pad: "x".repeat(200_000) }) });
    expect(big.status).toBe(413);
  });

  it("serves Prometheus metrics by operation, error code, DNS lookups and outcomes", async () => {
    await t.gql(`query ListMine { domains { totalCount } }`);
    await t.gql(`{ viewer { accountId } }`, {}, { token: null });
    await t.gql(`mutation { claimDomain(input: { name: "labelled.example.com" }) { created } }`);
    await t.gql(`query Chosen_By_The_Caller { v: viewer { accountId } domains { totalCount } }`);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    // Labelled by root fields the schema defines, never by a name the caller picked.
    expect(text).toMatch(/dnsproof_graphql_requests_total\{operation="query:domains",type="query"\} [1-9]/);
    expect(text).toMatch(/dnsproof_graphql_requests_total\{operation="mutation:claimDomain",type="mutation"\} [1-9]/);
    expect(text).toMatch(/dnsproof_graphql_requests_total\{operation="query:domains,viewer",type="query"\} 1/);
    expect(text).toMatch(/dnsproof_graphql_request_duration_seconds_bucket\{le="[^"]+",operation="query:domains"\}/);
    expect(text).not.toContain("ListMine");
    expect(text).not.toContain("Chosen_By_The_Caller");
    expect(text).not.toContain('operation="anonymous"');
    expect(text).toMatch(/dnsproof_graphql_errors_total\{code="UNAUTHENTICATED"\} [1-9]/);
    expect(text).toContain("# TYPE dnsproof_dns_lookups_total counter");
    expect(text).toContain("# TYPE dnsproof_verifications_total counter");
  });
});

describe("database outage", () => {
  /** A TCP relay to MariaDB that the test can cut, as a failed database host would. */
  function startRelay(target: { host: string; port: number }) {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
    });
    return {
      listen: () => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port))),
      cut: () => new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
    };
  }

  it("answers /readyz 200 with redis listed as degraded while the configured Redis is unreachable", async () => {
    const relay = startRelay({ host: "127.0.0.1", port: 6379 });
    const port = await relay.listen();
    const t = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: `readyz-${process.pid}:` } });
    try {
      // The connection is made in the background at start: up once it is.
      const redisState = async () => ((await (await fetch(`${t.url}/readyz`)).json()) as { checks: { redis: { state: string } } }).checks.redis.state;
      for (let tries = 0; tries < 20 && (await redisState()) !== "up"; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await redisState()).toBe("up");
      await relay.cut();
      const down = await fetch(`${t.url}/readyz`);
      expect(down.status).toBe(200);
      expect(await down.json()).toMatchObject({ status: "degraded", degraded: ["redis", "dns"], checks: { redis: { state: "down" } } });
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it("answers SERVICE_UNAVAILABLE and /readyz 503 while /healthz stays 200", async () => {
    const database = await createScratchDatabase("mariadb");
    const server = new URL(MARIADB_SERVER_URL);
    const relay = startRelay({ host: server.hostname, port: Number(server.port || 3306) });
    const port = await relay.listen();
    const viaRelay = new URL(database.url);
    viaRelay.host = `127.0.0.1:${port}`;
    const t = await startTestApp({ database: { url: viaRelay.toString(), drop: database.drop } });
    try {
      expect((await t.gql(`{ domains { totalCount } }`)).body.data.domains.totalCount).toBe(0);
      await relay.cut();
      const result = await t.gql(`{ domains { totalCount } }`);
      expect(result.body.errors).toEqual([expect.objectContaining({ message: "The database cannot be reached right now; try again shortly.", extensions: { code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 1 } })]);
      expect(JSON.stringify(result.body)).not.toMatch(/SELECT|ECONNREFUSED|127\.0\.0\.1|node_modules/);
      const ready = await fetch(`${t.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: "unavailable", checks: { database: { state: "down" } } });
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    } finally {
      await t.close();
      await database.drop();
    }
  });
});

describe("a start that fails half-way", () => {
  it("lets go of the database it had opened (MariaDB sees none of its connections left)", async () => {
    const database = await createScratchDatabase("mariadb");
    const connections = async () => {
      const admin = await mysql.createConnection({ uri: MARIADB_SERVER_URL });
      try {
        const [rows] = await admin.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ?", [new URL(database.url).pathname.slice(1)]);
        return Number((rows as { n: number }[])[0].n);
      } finally {
        await admin.end();
      }
    };
    try {
      // No JWT_SECRET outside production: a development secret is needed, and its file cannot be made under a regular file.
      const config = loadConfig({ NODE_ENV: "development", DATABASE_URL: database.url, DEV_SECRET_FILE: "/etc/hostname/dev-secret", SCHEDULER_ENABLED: "false", LOG_LEVEL: "silent" });
      await expect(createApp(config, { logger: pino({ level: "silent" }) })).rejects.toThrow(/EEXIST|ENOTDIR/);
      expect(await connections()).toBe(0);
    } finally {
      await database.drop();
    }
  });
});
