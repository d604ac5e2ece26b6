import { spawn, ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { mintToken } from "../../src/auth/dev-credentials";
import { migrations } from "../../migrations";

const ROOT = path.resolve(__dirname, "../..");
const MAIN = path.join(ROOT, "src/main.ts");

/** Runs src/main.ts as `npm start` would, in a scratch working directory with nothing configured. */
function startMain(env: Record<string, string>, cwd: string): ChildProcessWithoutNullStreams {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(JWT_|JWKS_|DATABASE_URL|NODE_ENV|ADMIN_|DNS_|PORT|HOST|DEV_SECRET_FILE)/.test(key)),
  ) as Record<string, string>;
  return spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), MAIN], {
    cwd,
    env: { ...clean, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"), PORT: "0", LOG_LEVEL: "warn", ...env },
  });
}

/** Everything the process wrote until it exits. */
function outputUntilExit(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; output: string }> {
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

/** Log lines (pino JSON) among the output, parsed. */
function logLines(output: string): Record<string, any>[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
}

function waitForOutput(child: ChildProcessWithoutNullStreams, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}; output:\n${output}`));
    });
  });
}

describe("npm start on a fresh machine", () => {
  it("serves on SQLite under ./data and prints a working development token and the explorer URL", async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-start-"));
    const child = startMain({}, cwd);
    try {
      const [, url, token] = await waitForOutput(child, /GraphiQL explorer:\s+(http:\/\/\S+)\/graphql[^\n]*\n\s*Development token:\s+(\S+)/);
      expect(fs.existsSync(path.join(cwd, "data/dnsproof.sqlite"))).toBe(true);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ viewer { accountId domainLimit } }" }),
      });
      expect(await response.json()).toEqual({ data: { viewer: { accountId: "dev-account", domainLimit: 5 } } });
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  }, 90_000);

  it("refuses to start in production without a JWT secret, saying which setting is missing", async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-start-"));
    const child = startMain({ NODE_ENV: "production" }, cwd);
    await waitForOutput(child, /JWT_SECRET or JWKS_URL must be set/);
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", resolve)));
    expect(code).toBe(1);
    // Refused before the database was opened: nothing is left behind by an instance that never ran.
    expect(fs.readdirSync(cwd)).toEqual([]);
    fs.rmSync(cwd, { recursive: true, force: true });
  }, 60_000);

  it.each([
    ["DATABASE_URL", "mysql://root@127.0.0.1:99999/dnsproof", /DATABASE_URL must look like mysql:\/\/.*port from 1 to 65535/],
    ["DATABASE_URL", "mysql://root:50%@127.0.0.1:3306/dnsproof", /DATABASE_URL .*"%" must start an escape/],
    ["DATABASE_URL", "mysql://root@127.0.0.1:3306", /DATABASE_URL .*database name is missing/],
    ["JWKS_URL", "notaurl", /JWKS_URL must be an https:\/\/ URL/],
    ["REDIS_URL", "notaurl", /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    ["DNS_SERVERS", "127.0.0.1:99999", /DNS_SERVERS entries must be .*got "127.0.0.1:99999"/],
    ["DNS_SERVERS", "::1:5353", /DNS_SERVERS .*write "::1:5353" as \[address\]:port/],
  ])("refuses %s=%s at start-up, naming the variable and what it expects", async (key, value, message) => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-start-"));
    try {
      const { code, output } = await outputUntilExit(startMain({ [key]: value }, cwd));
      expect(code).toBe(1);
      expect(output).toMatch(message);
      expect(output).not.toMatch(/at .*node_modules/);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);

  it("says to set PORT when the port is taken", async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-start-"));
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const { code, output } = await outputUntilExit(startMain({ PORT: String(port), JWT_SECRET: "x".repeat(40) }, cwd));
      expect(code).toBe(1);
      expect(output).toContain(`port ${port} on 127.0.0.1 is already in use; set PORT`);
    } finally {
      taken.close();
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);

  it("binds to loopback by default, logs how it is set up, each automatic check, the account and why a token was refused", async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-start-"));
    const secret = "abc";
    const child = startMain(
      {
        LOG_LEVEL: "info",
        JWT_SECRET: secret,
        DNS_SERVERS: "127.0.0.1:9",
        DNS_TIMEOUT_MS: "300",
        PENDING_FIRST_CHECK_SECONDS: "0.5",
        SCHEDULER_INTERVAL_SECONDS: "0.2",
      },
      cwd,
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const waitForLog = async (predicate: (line: Record<string, any>) => boolean) => {
      for (let i = 0; i < 300; i++) {
        const found = logLines(output).find(predicate);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no such log line; got:\n${output}`);
    };
    try {
      const started = await waitForLog((line) => line.msg === "dnsproof is listening");
      expect(started).toMatchObject({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/),
        env: "development",
        migrationsApplied: migrations.map((migration) => migration.name),
        dns: { mode: "recursive", servers: ["127.0.0.1:9"], timeoutMs: 300 },
        redis: expect.stringMatching(/^off/),
        scheduler: { enabled: true, intervalSeconds: 0.2, batchSize: 100, firstCheckSeconds: 0.5 },
      });
      expect(logLines(output).find((line) => line.level === 40)?.msg).toMatch(/JWT_SECRET has 3 characters/);
      const url = started.url as string;

      const token = await mintToken(secret, { sub: "newcomer", account_id: "acme" });
      const claim = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: `mutation { claimDomain(input: { name: "logged.example.com" }) { domain { id } } }` }),
      });
      expect(claim.status).toBe(200);
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer not-a-jwt" },
        body: JSON.stringify({ query: `{ viewer { accountId } }` }),
      });

      expect(await waitForLog((line) => line.msg === "graphql operation" && line.operation === "mutation:claimDomain")).toMatchObject({ accountId: "acme", via: "jwt" });
      expect(await waitForLog((line) => line.msg === "graphql operation" && line.operation === "query:viewer")).toMatchObject({
        accountId: null,
        authProblem: "The bearer token is not a JWT.",
        errors: ["UNAUTHENTICATED"],
      });
      expect(output).not.toContain("not-a-jwt");
      expect(await waitForLog((line) => line.msg === "automatic check")).toMatchObject({ domain: "logged.example.com", accountId: "acme", outcome: "DNS_ERROR", status: "PENDING" });

      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  }, 90_000);
});
