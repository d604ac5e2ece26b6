/** SIGTERM to a real server process, as a rolling deploy sends it: drain, finish, close, exit 0. */
import { spawn, ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { DATABASE_FLAVORS, ScratchDatabase, createScratchDatabase } from "../support/databases";
import { SilentDnsServer, startSilentDnsServer } from "../support/silent-dns-server";
import { mintToken } from "../../src/auth/dev-credentials";
import { TEST_JWT_SECRET } from "../support/test-app";

const ROOT = path.resolve(__dirname, "../..");

interface Server {
  child: ChildProcessWithoutNullStreams;
  url: string;
  exited: Promise<{ code: number | null; at: number }>;
  output(): string;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), path.join(ROOT, "src/main.ts")], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"), // Not "test": Apollo installs its own signal handlers only outside tests, and they caused the hang.
    NODE_ENV: "development", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
  });
  let output = "";
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once("exit", (code) => resolve({ code, at: Date.now() })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/"url":"(http:\/\/[^"]+)\/graphql"/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then(({ code }) => reject(new Error(`exited with ${code} before listening:\n${output}`)));
  });
  return { child, url, exited, output: () => output };
}

/** Resolves to the exit, or to null when the process is still alive after `ms`. */
const exitWithin = (server: Server, ms: number) =>
  Promise.race([server.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms).unref())]);

describe.each(DATABASE_FLAVORS)("SIGTERM on %s", (flavor) => {
  let database: ScratchDatabase;
  let dns: SilentDnsServer;
  let server: Server | undefined;

  beforeAll(async () => {
    [database, dns] = await Promise.all([createScratchDatabase(flavor), startSilentDnsServer()]);
  });
  afterEach(() => {
    if (server?.child.exitCode === null) server.child.kill("SIGKILL");
    server = undefined;
  });
  afterAll(async () => {
    await Promise.all([database?.drop(), dns?.stop()]);
  });

  const env = () => ({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, DNS_SERVERS: dns.server, DNS_TIMEOUT_MS: "1500" });

  it("exits 0 at once when idle", async () => {
    server = await startServer(env());
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const sent = Date.now();
    server.child.kill("SIGTERM");
    const exit = await exitWithin(server, 10_000);
    expect(exit).not.toBeNull();
    expect(exit!.code).toBe(0);
    expect(exit!.at - sent).toBeLessThan(2_000);
  }, 90_000);

  it("finishes the request in flight, answers /readyz 503 meanwhile, then exits 0 within 2 s of it", async () => {
    server = await startServer(env());
    const token = await mintToken(TEST_JWT_SECRET, { sub: `shutdown-${flavor}` });
    const gql = (query: string, variables = {}) =>
      fetch(`${server!.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
    const claimed: any = await (await gql(`mutation { claimDomain(input: { name: "shutdown.example.com" }) { domain { id } } }`)).json();
    const id = claimed.data.claimDomain.domain.id;

    // The DNS server never answers, so this verification takes the whole DNS_TIMEOUT_MS.
    const inFlight = gql(`mutation($id: ID!) { verifyDomain(input: { id: $id }) { check { outcome } } }`, { id }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as any,
      at: Date.now(),
    }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "shutting down" });

    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(answered.body.data.verifyDomain.check.outcome).toBe("DNS_ERROR");
    const exit = await exitWithin(server, 10_000);
    expect(exit).not.toBeNull();
    expect(exit!.code).toBe(0);
    expect(exit!.at - answered.at).toBeLessThan(2_000);
  }, 90_000);
});
