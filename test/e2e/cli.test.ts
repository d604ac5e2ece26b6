/** The operators' command line, spawned as `npx dnsproof …` from the checkout, like cron would. */
import { migrations } from "../../migrations";
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import fs from "node:fs";
import mysql from "mysql2/promise";
import os from "node:os";
import path from "node:path";
import { ManualClock } from "../../src/shared/clock";
import { startBind9, type Bind9Server } from "../support/bind9";
import { ScratchDatabase, createScratchDatabase } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TEST_JWT_SECRET, TestApp, startTestApp } from "../support/test-app";

const ROOT = path.resolve(__dirname, "../..");
// Every command is a fresh npx + ts-node process (several seconds each on a busy 2-core machine); four run at once below.
jest.setTimeout(120_000);
/**
 * npx links the checkout into its cache once and keeps that link's bin entry, so a cache
 * from an older checkout could run a stale path; a cache of this run's own sees what a new machine sees.
 */
const NPM_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-npx-cache-"));
afterAll(() => fs.rmSync(NPM_CACHE, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function dnsproof(args: string[], env: Record<string, string>): Promise<Run> {
  // --no-install: resolve the checkout's own bin or fail; never fetch a package of that name.
  return outcome(spawn("npx", ["--no-install", "dnsproof", ...args], { cwd: ROOT, env: { ...process.env, npm_config_cache: NPM_CACHE, ...env } }));
}

function outcome(child: ChildProcessWithoutNullStreams): Promise<Run> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("npx dnsproof", () => {
  let database: ScratchDatabase;
  let dns: Bind9Server;
  let env: Record<string, string>;

  beforeAll(async () => {
    [database, dns] = await Promise.all([createScratchDatabase("mariadb"), startBind9({ zones: [{ name: "cli.test" }] })]);
    env = {
      NODE_ENV: "test",
      DATABASE_URL: database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      DNS_SERVERS: dns.server,
      DNS_TIMEOUT_MS: "1000",
      LOG_LEVEL: "warn",
    };
  });
  afterAll(async () => {
    await Promise.all([dns?.stop(), database?.drop()]);
  });

  it("migrate applies pending migrations once, and says so in JSON", async () => {
    const first = await dnsproof(["migrate", "--json"], env);
    expect(first).toMatchObject({ code: 0 });
    expect(JSON.parse(first.stdout)).toEqual({ applied: migrations.map((m) => m.name) });
    const again = await dnsproof(["migrate"], env);
    expect(again).toMatchObject({ code: 0, stdout: "The database is up to date; nothing to apply.\n" });
  });

  it("token mints a JWT the server accepts, with the configured issuer and audience", async () => {
    const withClaims = { ...env, JWT_ISSUER: "https://issuer.example", JWT_AUDIENCE: "dnsproof-api" };
    const [run, plain] = await Promise.all([
      dnsproof(["token", "--sub", "ops-7", "--account", "acme", "--email", "ops7@acme.example", "--json"], withClaims),
      dnsproof(["token", "--sub", "solo"], env),
    ]);
    expect(run.code).toBe(0);
    const minted = JSON.parse(run.stdout);
    expect(minted).toMatchObject({ sub: "ops-7", accountId: "acme", email: "ops7@acme.example", developmentSecret: false });
    expect(plain.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);

    const t = await startTestApp({ database, env: { JWT_ISSUER: "https://issuer.example", JWT_AUDIENCE: "dnsproof-api" } });
    try {
      const viewer = await t.gql(`{ viewer { accountId userId email } }`, {}, { token: minted.token });
      expect(viewer.body.data.viewer).toEqual({ accountId: "acme", userId: "ops-7", email: "ops7@acme.example" });
    } finally {
      await t.close();
    }
  });

  describe("with claims in the database", () => {
    let t: TestApp;
    const clock = new ManualClock("2020-01-01T00:00:00.000Z");
    const verifier = new ScriptedVerifier(clock);
    const claims: Record<string, { id: string; token: string; owner: string }> = {};
    const read = (name: string) =>
      t.gql(`query($id: ID!) { domain(id: $id) { status failingSince } auditLog(domainId: $id) { nodes { action actor { type id } requestId } } }`, { id: claims[name].id }, { token: claims[name].owner });

    beforeAll(async () => {
      t = await startTestApp({ database, overrides: { clock, verifier } });
      for (const name of ["kept.cli.test", "vanished.cli.test", "stale.cli.test"]) {
        const owner = await t.token(`cli-${name}`);
        const { domain } = (await t.gql(`mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } } }`, { name }, { token: owner })).body.data.claimDomain;
        claims[name] = { id: domain.id, token: domain.txtRecord.value.replace("dnsproof-verification=", ""), owner };
      }
      for (const name of ["kept.cli.test", "vanished.cli.test"]) {
        verifier.publish(name, [claims[name].token]);
        await t.gql(`mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`, { id: claims[name].id }, { token: claims[name].owner });
      }
      await dns.update("cli.test", [`update add _dnsproof-verify.kept.cli.test. 60 TXT "dnsproof-verification=${claims["kept.cli.test"].token}"`]);
    });
    afterAll(async () => t?.close());

    it("reverify re-checks verified domains against DNS and audits the run as ADMIN", async () => {
      const run = await dnsproof(["reverify", "--limit", "10", "--json"], env);
      expect(run).toMatchObject({ code: 0 });
      expect(JSON.parse(run.stdout)).toEqual({ checked: 2, stillVerified: 1, inGracePeriod: 1, revoked: 0, dnsErrors: 0 });
      const vanished = (await read("vanished.cli.test")).body.data;
      expect(vanished.domain).toMatchObject({ status: "VERIFIED", failingSince: expect.any(String) });
      expect(vanished.auditLog.nodes[0]).toMatchObject({ action: "VERIFICATION_FAILED", actor: { type: "ADMIN", id: "cli" }, requestId: expect.stringMatching(/^cli-/) });
      expect((await read("kept.cli.test")).body.data.domain).toEqual({ status: "VERIFIED", failingSince: null });
    });

    it("reverify exits 3 when DNS errors left checks inconclusive, audited as VERIFICATION_INCONCLUSIVE", async () => {
      // Port 9 on loopback answers nothing but ICMP refusals: a broken resolver.
      const run = await dnsproof(["reverify", "--limit", "10", "--json"], { ...env, DNS_SERVERS: "127.0.0.1:9", DNS_TIMEOUT_MS: "300" });
      expect(run).toMatchObject({ code: 3 });
      expect(JSON.parse(run.stdout)).toMatchObject({ checked: 2, dnsErrors: 2, revoked: 0 });
      const kept = (await read("kept.cli.test")).body.data;
      expect(kept.domain).toEqual({ status: "VERIFIED", failingSince: null });
      expect(kept.auditLog.nodes[0]).toMatchObject({ action: "VERIFICATION_INCONCLUSIVE", actor: { type: "ADMIN", id: "cli" } });
    });

    it("cleanup expires the stale claim and deletes it, as it lapsed more than 30 days ago", async () => {
      const run = await dnsproof(["cleanup"], env);
      expect(run).toMatchObject({ code: 0, stdout: "Expired 1 stale claim(s); deleted 1 old expired or revoked claim(s).\n" });
      const stale = (await read("stale.cli.test")).body.data;
      expect(stale.domain).toBeNull();
      expect(stale.auditLog.nodes.map((n: any) => [n.action, n.actor.type])).toEqual([
        ["DOMAIN_REMOVED", "ADMIN"],
        ["DOMAIN_EXPIRED", "ADMIN"],
        ["DOMAIN_CLAIMED", "USER"],
      ]);
    });
  });

  it("reverify runs on the services alone: neither Express, Apollo nor the WebSocket server is loaded", async () => {
    const script = `
      require("./src/cli/main").main(["reverify", "--json"], { ...process.env, DATABASE_URL: "sqlite::memory:" }).then((code) => {
        const servers = Object.keys(require.cache).filter((file) => /node_modules[\\/](express|@apollo[\\/]server|ws)[\\/]/.test(file));
        process.stdout.write(JSON.stringify({ code, servers }));
      });`;
    const run = await outcome(spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: ROOT, env: { ...process.env, ...env } }));
    expect(run.code).toBe(0);
    const [result, probe] = run.stdout.trim().split("\n");
    expect(JSON.parse(result)).toEqual({ checked: 0, stillVerified: 0, inGracePeriod: 0, revoked: 0, dnsErrors: 0 });
    expect(JSON.parse(probe)).toEqual({ code: 0, servers: [] });
  });

  it("exits non-zero on failure: 1 when the work fails, 2 for a wrong command line", async () => {
    const [unreachable, badConfig, unknown, badLimit] = await Promise.all([
      dnsproof(["cleanup", "--json"], { ...env, DATABASE_URL: "mysql://root@127.0.0.1:1/nowhere" }),
      dnsproof(["reverify"], { ...env, DNS_TIMEOUT_MS: "soon" }),
      dnsproof(["frobnicate"], env),
      dnsproof(["reverify", "--limit", "0"], env),
    ]);
    expect(unreachable.code).toBe(1);
    expect(JSON.parse(unreachable.stdout)).toEqual({ error: expect.stringContaining("ECONNREFUSED") });
    expect(badConfig).toMatchObject({ code: 1, stderr: expect.stringContaining("DNS_TIMEOUT_MS") });
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown command "frobnicate"') });
    expect(badLimit).toMatchObject({ code: 2, stderr: expect.stringContaining("--limit") });
    // Four processes start at once, each compiling the sources with ts-node: on a loaded 2-core machine that alone takes over 30 s.
  }, 90_000);

  it("seed writes every table of the fixture, again on a seeded database, and refuses one holding anyone else's rows", async () => {
    const fixture = await createScratchDatabase("mariadb");
    try {
      const seedEnv = { ...env, DATABASE_URL: fixture.url };
      const sizes = ["--domains", "50", "--accounts", "5", "--audit-per-domain", "3", "--webhooks", "2", "--deliveries", "4", "--certificates", "10", "--revoked", "4"];
      const [first, foreign, badRevoked, stray] = await Promise.all([
        dnsproof(["seed", ...sizes, "--json"], seedEnv),
        // This file's own database holds the claims made above, by accounts the seed did not write.
        dnsproof(["seed", "--domains", "5"], env),
        dnsproof(["seed", "--certificates", "2", "--revoked", "3"], seedEnv),
        dnsproof(["seed", "--limit", "3"], seedEnv),
      ]);
      expect(first).toMatchObject({ code: 0 });
      const report = JSON.parse(first.stdout);
      expect(report.rows).toEqual({ accounts: 5, domains: 50, audit_entries: 150, webhook_endpoints: 10, webhook_deliveries: 40, certificates: 10, domain_name_grams: expect.any(Number) });
      // Every seeded name is searchable: its pieces are there, as a claim through the API writes them.
      const [gramless] = await queryAll(fixture.url, "SELECT COUNT(*) AS n FROM domains d WHERE NOT EXISTS (SELECT 1 FROM domain_name_grams g WHERE g.domainId = d.id)");
      expect(Number(gramless.n)).toBe(0);
      const [grams] = await queryAll(fixture.url, "SELECT COUNT(*) AS n FROM domain_name_grams");
      expect(Number(grams.n)).toBe(report.rows.domain_name_grams);
      expect(report.rowsPerSecond).toBeGreaterThan(0);
      expect(foreign).toMatchObject({ code: 1, stderr: expect.stringContaining("did not write") });
      expect(badRevoked).toMatchObject({ code: 2, stderr: expect.stringContaining("--revoked") });
      expect(stray).toMatchObject({ code: 2, stderr: expect.stringContaining('"seed" takes no --limit') });

      const again = await dnsproof(["seed", "--domains", "10", "--accounts", "2"], seedEnv);
      expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Seeded \d+ rows \(.*10 domains.*\) in [\d.]+ s: \d+ rows\/s\.\n$/) });
      const statuses = await queryAll(fixture.url, "SELECT status, COUNT(*) AS n FROM domains GROUP BY status ORDER BY status");
      expect(statuses.map((row) => row.status)).toEqual(["EXPIRED", "FAILED", "PENDING", "REVOKED", "VERIFIED"]);
      expect(statuses.reduce((sum, row) => sum + Number(row.n), 0)).toBe(60);
      const [revoked] = await queryAll(fixture.url, "SELECT COUNT(*) AS n FROM certificates WHERE revokedAt IS NOT NULL AND notAfter > NOW()");
      expect(Number(revoked.n)).toBe(4);
    } finally {
      await fixture.drop();
    }
  }, 90_000);
});

async function queryAll(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const connection = await mysql.createConnection(url);
  try {
    const [rows] = await connection.query(sql);
    return rows as Record<string, unknown>[];
  } finally {
    await connection.end();
  }
}
