import { spawn, ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const MAIN = path.join(ROOT, "src/main.ts");

/** Runs src/main.ts as `npm start` would, in a scratch working directory with nothing configured. */
function startMain(env: Record<string, string>, cwd: string): ChildProcessWithoutNullStreams {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(JWT_|JWKS_|DATABASE_URL|NODE_ENV|ADMIN_|DNS_|PORT|HOST|DEV_SECRET_FILE)/.test(key)),
  ) as Record<string, string>;
  return spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), MAIN], {
    cwd,
    env: { ...clean, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"), HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "warn", ...env },
  });
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
    const output = await waitForOutput(child, /JWT_SECRET or JWKS_URL must be set/);
    expect(output).toBeTruthy();
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", resolve)));
    expect(code).toBe(1);
    fs.rmSync(cwd, { recursive: true, force: true });
  }, 60_000);
});
