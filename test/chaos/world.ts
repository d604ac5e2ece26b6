/**
 * What the chaos suite and the soak run against, all on loopback and all started here: a private
 * MariaDB and Redis (their own ports and data), BIND 9 serving the claims' zone, a webhook
 * receiver, and dnsproof instances as processes of their own. Every fault is a signal to a PID
 * started here, or a change of the receiver's answers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freeLoopbackPort, startBind9, type Bind9Server } from "../support/bind9";
import { startPrivateMariadb, startPrivateRedis, type PrivateMariadb, type PrivateProcess } from "../support/private-services";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver";
import type { ListeningProcess } from "../support/instance-process";
import { TEST_JWT_SECRET } from "../support/test-app";

export const ZONE = "chaos.test";
const ROOT = path.resolve(__dirname, "../..");

export interface Instance {
  name: string;
  url: string;
  process: ListeningProcess;
  /** True while a fault holds it (stopped or killed): requests sent to it are counted apart. */
  faulted: boolean;
}

export interface World {
  mariadb: PrivateMariadb;
  redis: PrivateProcess & { url: string };
  dns: Bind9Server;
  /** BIND 9's named: stalled, killed and restarted by PID. */
  named: { pid(): number; pause(): void; resume(): void; kill(): Promise<void>; restart(): Promise<void> };
  receiver: WebhookReceiver;
  databaseUrl: string;
  requestTimeoutMs: number;
  instances: Instance[];
  /** Where the instances' logs are kept (warnings and errors). */
  logDir: string;
  restartInstance(instance: Instance): Promise<void>;
  stop(): Promise<void>;
}

export interface WorldOptions {
  instances: number;
  requestTimeoutMs: number;
  /** Extra node flags for the instances (the soak's sampler). */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const [mariadb, redis, dns, receiver] = await Promise.all([startPrivateMariadb(), startPrivateRedis(), startBind9({ zones: [{ name: ZONE }] }), startWebhookReceiver()]);
  const databaseUrl = await mariadb.createDatabase("chaos");
  const env = instanceEnv(databaseUrl, redis.url, dns.server, options);
  const logDir = mkdtempSync(path.join(tmpdir(), "dnsproof-chaos-logs-"));
  const spawnOne = (name: string) => spawnInstance(env, options.nodeArgs ?? [], name, logDir);
  const instances: Instance[] = [];
  try {
    // One at a time: the first applies the migrations.
    for (let i = 0; i < options.instances; i++) {
      const name = `instance-${String.fromCharCode(97 + i)}`;
      instances.push({ name, url: "", process: await spawnOne(name), faulted: false });
      instances[i].url = instances[i].process.url;
    }
  } catch (error) {
    // A start that fails leaves nothing running behind it.
    for (const instance of instances) await stopInstance(instance.process);
    await Promise.all([mariadb.stop(), redis.stop(), dns.stop(), receiver.stop()]);
    throw error;
  }
  const named = namedProcess(dns);
  return {
    mariadb,
    redis,
    dns,
    named,
    receiver,
    databaseUrl,
    requestTimeoutMs: options.requestTimeoutMs,
    instances,
    logDir,
    async restartInstance(instance) {
      instance.process = await spawnOne(instance.name);
      instance.url = instance.process.url;
    },
    async stop() {
      for (const instance of instances) await stopInstance(instance.process);
      await named.stopRestarted();
      await Promise.all([mariadb.stop(), redis.stop(), dns.stop(), receiver.stop()]);
    },
  };
}

/** What every instance of the suite runs with: short retries and re-verifications, limits out of the way. */
function instanceEnv(databaseUrl: string, redisUrl: string, dnsServer: string, options: WorldOptions): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: "chaos:",
    DNS_SERVERS: dnsServer,
    DNS_TIMEOUT_MS: "1000",
    REQUEST_TIMEOUT_MS: String(options.requestTimeoutMs),
    LOG_LEVEL: "warn",
    WEBHOOK_ALLOW_PRIVATE: "true",
    WEBHOOK_TIMEOUT_MS: "2000",
    // Retries every second for a minute and a half: any fault here is shorter, so every delivery must end DELIVERED.
    WEBHOOK_RETRY_SECONDS: Array(90).fill("1").join(","),
    WEBHOOK_DISABLE_AFTER_HOURS: "24",
    // Verified domains are re-checked every 36 s, so a DNS fault meets re-verifications; the grace is an hour.
    REVERIFY_INTERVAL_HOURS: "0.01",
    REVERIFY_GRACE_HOURS: "1",
    SCHEDULER_INTERVAL_SECONDS: "1",
    MAX_DOMAINS_PER_ACCOUNT: "100000",
    RATE_LIMIT_MUTATIONS_PER_MINUTE: "1000000",
    RATE_LIMIT_VERIFY_PER_MINUTE: "1000000",
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: "1000000",
    WS_MAX_CONNECTIONS_PER_ADDRESS: "10000",
    WS_MAX_CONNECTIONS_PER_ACCOUNT: "10000",
    ...options.env,
  };
}

/** Its log (warnings only) goes to a file beside the others: nothing buffers it in this process for the length of a soak. */
async function spawnInstance(env: Record<string, string>, nodeArgs: string[], name: string, logDir: string): Promise<ListeningProcess> {
  const port = await freeLoopbackPort();
  const logFile = openSync(path.join(logDir, `${name}.log`), "a");
  const child = spawn(process.execPath, [...nodeArgs, "-r", "ts-node/register/transpile-only", "src/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "test", HOST: "127.0.0.1", PORT: String(port), JWT_SECRET: TEST_JWT_SECRET, ...env },
    stdio: ["ignore", logFile, logFile],
  });
  closeSync(logFile);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (const started = Date.now(); ; await new Promise((resolve) => setTimeout(resolve, 200))) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${logDir}/${name}.log`);
    if (Date.now() - started > 90_000) throw new Error(`${name} did not answer /healthz within 90 s; see ${logDir}/${name}.log`);
    if (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)) break;
  }
  return { child, url, exited };
}

async function stopInstance(instance: ListeningProcess): Promise<void> {
  const child = instance.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  process.kill(child.pid!, "SIGCONT");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await instance.exited;
  clearTimeout(timer);
}

/** named's PID from its pid file; a restart runs it again on the same configuration, port and zone journal. */
function namedProcess(dns: Bind9Server) {
  let restarted: ChildProcess | null = null;
  const pid = () => Number(readFileSync(path.join(dns.dir, "named.pid"), "utf8").trim());
  return {
    pid,
    pause: () => process.kill(pid(), "SIGSTOP"),
    resume: () => process.kill(pid(), "SIGCONT"),
    async kill() {
      const victim = pid();
      process.kill(victim, "SIGKILL");
      for (let i = 0; i < 100 && alive(victim); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    async restart() {
      const args = ["-g", "-n", "1", "-c", path.join(dns.dir, "named.conf"), ...(process.getuid?.() === 0 ? ["-u", "root"] : [])];
      restarted = spawn("named", args, { stdio: ["ignore", "ignore", "pipe"] });
      const child = restarted;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("named did not restart within 20 s")), 20_000);
        child.stderr!.on("data", (chunk: Buffer) => {
          if (/ running$/m.test(chunk.toString())) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    },
    async stopRestarted() {
      if (!restarted || restarted.exitCode !== null) return;
      const exited = new Promise((resolve) => restarted!.once("exit", resolve));
      restarted.kill("SIGTERM");
      await exited;
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
