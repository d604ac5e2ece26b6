/**
 * `dnsproof perspective` as a real child process on loopback, on a port it picks itself.
 *
 *     const p = await spawnPerspective({ name: "p1", region: "ARIN", resolver: "127.0.0.1:24617", secret });
 *     // DNS_PERSPECTIVES=p.url
 *     await p.stop();
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

export interface PerspectiveProcess {
  name: string;
  region: string;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function spawnPerspective(options: {
  name: string;
  region: string;
  /** Its own resolver, "127.0.0.1:PORT" (DNS_SERVERS). */
  resolver: string;
  secret: string;
  env?: Record<string, string>;
}): Promise<PerspectiveProcess> {
  const child = spawn(
    process.execPath,
    ["src/cli/bin.js", "perspective", "--name", options.name, "--region", options.region, "--port", "0", "--host", "127.0.0.1"],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: "test", PERSPECTIVE_SECRET: options.secret, DNS_SERVERS: options.resolver, DNS_TIMEOUT_MS: "2000", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`perspective ${options.name} did not listen within 60 s:\n${output.join("")}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const found = /listening on (http:\/\/\S+)/.exec(output.join(""));
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`perspective ${options.name} exited (${code}):\n${output.join("")}`));
    });
  });
  return {
    name: options.name,
    region: options.region,
    url,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
