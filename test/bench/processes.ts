/**
 * What the benchmarks share: dnsproof and the baseline started as processes of their own (as
 * `npm start` runs them), their CPU and memory read from /proc, and wrk as the load. Loopback only.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import ts from "typescript";

export const JWT_SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
const ROOT = path.resolve(__dirname, "../..");
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim() || 100);

export interface Server {
  target: string;
  url: string;
  child: ChildProcess;
  startMs: number;
  /** CPU the process spent until /healthz answered: what start-up costs, whatever else the machine runs. */
  startCpuMs: number;
}

/** dnsproof as `npm start` runs it (built and bundled, from V8's code cache), and the baseline compiled beside it. */
export function build(): { dnsproof: string[]; baseline: string[] } {
  execFileSync("npm", ["run", "-s", "build"], { cwd: ROOT, stdio: "inherit" });
  const out = path.join(ROOT, "dist/test/bench");
  fs.mkdirSync(out, { recursive: true });
  for (const file of ["baseline-server.ts", "operations.ts"]) {
    const source = fs.readFileSync(path.join(__dirname, file), "utf8");
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    fs.writeFileSync(path.join(out, file.replace(/\.ts$/, ".js")), outputText);
  }
  return { dnsproof: [path.join(ROOT, "src/cli/start.js")], baseline: [path.join(out, "baseline-server.js")] };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function start(target: string, entry: string[], databaseUrl: string, extraEnv: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    JWT_SECRET,
    // Nothing here may look anything up off this machine.
    SCHEDULER_ENABLED: "false",
    DNS_SERVERS: "127.0.0.1:9",
    MAX_DOMAINS_PER_ACCOUNT: "1000000",
    RATE_LIMIT_MUTATIONS_PER_MINUTE: "100000000",
    ...extraEnv,
  };
  const started = performance.now();
  const child = spawn(process.execPath, entry, { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${target} exited at start: ${stderr}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(`${url}/healthz`, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
    });
    if (ok) break;
    if (performance.now() - started > 30_000) throw new Error(`${target} did not answer /healthz within 30 s: ${stderr}`);
    await sleep(2);
  }
  return { target, url, child, startMs: performance.now() - started, startCpuMs: cpuMs(child.pid!) };
}

export async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  await Promise.race([exited, sleep(10_000)]);
  if (server.child.exitCode === null) server.child.kill("SIGKILL");
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

export function rssMb(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
}

export async function post(url: string, query: string, variables: Record<string, unknown>, token: string): Promise<string> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  if (response.status !== 200 || text.includes('"errors"')) throw new Error(`${url}: ${response.status} ${text.slice(0, 300)}`);
  return text;
}

export interface LoadFigures {
  requests: number;
  perSecond: number;
  cpuMsPerRequest: number;
  p99Ms: number;
}

/** wrk keeps `connections` requests in flight for `seconds`; the target's CPU time is read from /proc around it. */
export function wrk(server: Server, lua: string, seconds: number, connections: number): LoadFigures {
  const script = path.join(os.tmpdir(), `dnsproof-bench-${process.pid}.lua`);
  fs.writeFileSync(script, lua);
  const cpuBefore = cpuMs(server.child.pid!);
  const output = execFileSync("wrk", ["-t2", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "--latency", "-s", script, `${server.url}/graphql`], {
    timeout: (seconds + 30) * 1000,
  }).toString();
  const cpu = cpuMs(server.child.pid!) - cpuBefore;
  const requests = Number(/(\d+) requests in/.exec(output)![1]);
  const failed = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  if (failed || /Socket errors/.test(output)) throw new Error(`${server.target}: ${failed} failed responses\n${output}`);
  const p99 = /99%\s+([\d.]+)(us|ms|s)\b/.exec(output)!;
  const p99Ms = Number(p99[1]) * (p99[2] === "us" ? 0.001 : p99[2] === "s" ? 1000 : 1);
  return { requests, perSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)![1]), cpuMsPerRequest: cpu / requests, p99Ms };
}

export const luaString = (value: string) => `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
