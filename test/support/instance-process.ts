import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { TEST_JWT_SECRET } from "./test-app";

const ROOT = path.resolve(__dirname, "../..");

/**
 * `node src/main.ts` as a process of its own, on loopback and an ephemeral port, signing with the
 * tests' JWT secret; `env` adds to or overrides those settings. Resolves once it listens.
 */
export function spawnInstance(databaseUrl: string, env: Record<string, string>): Promise<ListeningProcess> {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      DATABASE_URL: databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return whenListening(child);
}

/** A dnsproof process a test spawned, once it has logged its "listening" line. */
export interface ListeningProcess {
  child: ChildProcess;
  /** Base URL, e.g. http://127.0.0.1:4123 */
  url: string;
  exited: Promise<number | null>;
}

/** Waits for a spawned server's "dnsproof is listening" log line; its output comes with any failure. */
export async function whenListening(child: ChildProcess, timeoutMs = 30_000): Promise<ListeningProcess> {
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within ${timeoutMs / 1000} s:\n${output.join("")}`)), timeoutMs);
    child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stdout!.on("data", (chunk: Buffer) => {
      output.push(chunk.toString());
      for (const line of chunk.toString().split("\n")) {
        if (!line.includes('"dnsproof is listening"')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line).url.replace(/\/graphql$/, ""));
      }
    });
    void exited.then((code) => reject(new Error(`exited with ${code}:\n${output.join("")}`)));
  });
  return { child, url, exited };
}
