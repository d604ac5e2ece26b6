/**
 * The README's Deploy recipe on a copy of this checkout: `npm start` with dev dependencies,
 * then `npm run build`, `npm prune --omit=dev`, `NODE_ENV=production npm start` and the CLI.
 *
 * The copy's node_modules is hard-linked from this checkout's (a real `npm ci` rebuilds
 * better-sqlite3 from source: minutes); `npm prune` only unlinks, and the one file it
 * rewrites is a copy of its own. `.ci/run` runs `npm ci` on a fresh clone itself.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ScratchDatabase, createScratchDatabase } from "../support/databases";
import { TEST_JWT_SECRET } from "../support/test-app";
import { migrations } from "../../migrations";
import { mintToken } from "../../src/auth/dev-credentials";

const ROOT = path.resolve(__dirname, "../..");

function copyCheckout(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-deploy-"));
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const file of files) {
    if (!fs.existsSync(path.join(ROOT, file))) continue;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  execFileSync("cp", ["-al", path.join(ROOT, "node_modules"), path.join(dir, "node_modules")]);
  const hidden = path.join(dir, "node_modules", ".package-lock.json");
  fs.rmSync(hidden, { force: true });
  fs.copyFileSync(path.join(ROOT, "node_modules", ".package-lock.json"), hidden);
  return dir;
}

interface Run {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(env) });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

function cleanEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(NODE_ENV|JWT_|DATABASE_URL|HOST|PORT|TS_NODE|npm_)/.test(key)));
  return { ...inherited, ...env };
}

/** Starts `npm start`; resolves once the start-up line names the URL. */
async function npmStart(cwd: string, env: Record<string, string | undefined>): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn("npm", ["start"], { cwd, env: cleanEnv(env) });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = output.match(/"url":"http:\/\/[^"]+:(\d+)\/graphql"/);
      if (match) {
        clearInterval(timer);
        resolve(Number(match[1]));
      }
    }, 100);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
  return { child, port, output: () => output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  return exited;
}

describe("the Deploy recipe", () => {
  let dir: string;
  let database: ScratchDatabase;
  const npmCache = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-npx-cache-"));
  const base = () => ({ PORT: "0", JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: "info", npm_config_cache: npmCache, npm_config_update_notifier: "false" });

  beforeAll(async () => {
    dir = copyCheckout();
    database = await createScratchDatabase("mariadb");
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(npmCache, { recursive: true, force: true });
  });

  it("npm start in a checkout with dev dependencies builds, then serves", async () => {
    const server = await npmStart(dir, { ...base(), DATABASE_URL: "sqlite:data/dev.sqlite" });
    try {
      expect(fs.existsSync(path.join(dir, "dist/src/main.js"))).toBe(true);
      const bundled = fs.readFileSync(path.join(dir, "dist/bundle/dnsproof.js"), "utf8");
      // Apollo hashes every query: with node:crypto, not the plain-JavaScript sha.js it falls back to when bundled as is.
      expect(bundled).toContain("dnsproof-node-crypto:createhash");
      expect(bundled).not.toContain("node_modules/sha.js/");
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
  }, 180_000);

  it("npm run build, npm prune --omit=dev, then the CLI and NODE_ENV=production npm start work", async () => {
    expect(await run("npm", ["run", "build"], dir, base())).toMatchObject({ code: 0 });
    // npm may look a manifest up while pruning: from the machine's own npm cache when it has it.
    const { npm_config_cache: _ownCache, ...withMachineCache } = base();
    const pruned = await run("npm", ["prune", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"], dir, withMachineCache);
    if (pruned.code !== 0) throw new Error(`npm prune failed:\n${pruned.output}`);
    for (const devOnly of ["jest", "ts-jest", "@types/jest", "fast-check", "playwright-core"]) {
      expect(fs.existsSync(path.join(dir, "node_modules", devOnly))).toBe(false);
    }

    const production = { ...base(), NODE_ENV: "production", DATABASE_URL: database.url };
    const migrate = await run("npx", ["--no-install", "dnsproof", "migrate", "--json"], dir, production);
    expect(migrate.code).toBe(0);
    expect(JSON.parse(migrate.output.trim().split("\n").pop()!).applied).toEqual(migrations.map((migration) => migration.name));

    const cacheFile = path.join(dir, "dist/bundle", `dnsproof.js.${process.version}.cache`);
    fs.rmSync(cacheFile, { force: true });
    // The first start compiles the bundle and leaves V8's code cache; the second starts from it.
    for (const start of ["compiled", "from the code cache"]) {
      const server = await npmStart(dir, production);
      try {
        // Production binds to every address; the test still only talks to loopback.
        expect(server.output()).not.toContain("prestart\n> node src/cli/prestart.js\n\n> tsc");
        const ready = await fetch(`http://127.0.0.1:${server.port}/readyz`);
        expect(ready.status).toBe(200);
        // The machine's own resolvers may not answer in a sandbox: DNS is then listed as degraded, and the instance still serves.
        expect(await ready.json()).toMatchObject({ status: expect.stringMatching(/^(ready|degraded)$/), checks: { database: { state: "up" } } });
        const answer = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${await mintToken(TEST_JWT_SECRET, { sub: "ops" })}` },
          body: JSON.stringify({ query: "{ viewer { accountId domainCount } }" }),
        });
        expect({ start, body: await answer.json() }).toEqual({ start, body: { data: { viewer: { accountId: "ops", domainCount: 0 } } } });
      } finally {
        expect(await stop(server.child)).toBe(0);
      }
      expect(fs.existsSync(cacheFile)).toBe(true);
    }

    // Without ts-node at all (npm keeps it only as typeorm's optional peer), the CLI runs dist/.
    fs.rmSync(path.join(dir, "node_modules", "ts-node"), { recursive: true, force: true });
    fs.rmSync(path.join(dir, "node_modules", "typescript"), { recursive: true, force: true });
    const again = await run("npx", ["--no-install", "dnsproof", "migrate"], dir, { ...base(), DATABASE_URL: database.url });
    expect(again).toMatchObject({ code: 0, output: expect.stringContaining("The database is up to date") });
    const token = await run("npx", ["--no-install", "dnsproof", "token", "--sub", "ops"], dir, base());
    expect(token).toMatchObject({ code: 0, output: expect.stringMatching(/[\w-]+\.[\w-]+\.[\w-]+/) });
  }, 240_000);
});
