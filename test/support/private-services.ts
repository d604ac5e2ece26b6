/**
 * A MariaDB server and a Redis server of a test's own, on free loopback ports with their own
 * data directories, so a fault test can stall (SIGSTOP), resume (SIGCONT), kill and restart them
 * without touching the shared ones on 3306 and 6379. Every signal goes to the PID started here.
 *
 *     const db = await startPrivateMariadb();
 *     const url = await db.createDatabase("faults");
 *     db.pause(); ... db.resume();
 *     await db.stop();
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import net from "node:net";
import path from "node:path";
import { freeLoopbackPort } from "./bind9";

export interface PrivateProcess {
  port: number;
  /** The running process's PID (changes on restart). */
  readonly pid: number;
  /** SIGSTOP: alive, holding every socket, answering nothing. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** SIGKILL; resolves once it exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data (after kill()); resolves once it accepts connections. */
  restart(): Promise<void>;
  /** Stops it (SIGCONT first if paused) and removes its data. */
  stop(): Promise<void>;
}

export interface PrivateMariadb extends PrivateProcess {
  /** Creates a database; resolves to its URL (root, no password). */
  createDatabase(name: string): Promise<string>;
  /** Runs SQL through the mariadb client on the server's socket; the tab-separated output. */
  sql(statement: string): string;
}

/** A data directory made once per machine boot and copied for each server: mariadb-install-db takes seconds. */
const TEMPLATE = path.join(tmpdir(), `dnsproof-mariadb-template-${process.getuid?.() ?? 0}`);

function templateDatadir(): string {
  if (existsSync(path.join(TEMPLATE, "mysql"))) return TEMPLATE;
  const staging = mkdtempSync(path.join(tmpdir(), "dnsproof-mariadb-staging-"));
  const result = spawnSync("mariadb-install-db", ["--no-defaults", "--user=root", `--datadir=${staging}`, "--skip-test-db", "--auth-root-authentication-method=normal"], {
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`mariadb-install-db failed: ${result.stderr || result.error}`);
  // Another worker may have made it meanwhile: either copy is a complete one.
  if (!existsSync(path.join(TEMPLATE, "mysql"))) cpSync(staging, TEMPLATE, { recursive: true });
  rmSync(staging, { recursive: true, force: true });
  return TEMPLATE;
}

export async function startPrivateMariadb(): Promise<PrivateMariadb> {
  const dir = mkdtempSync(path.join(tmpdir(), "dnsproof-mariadb-"));
  const datadir = path.join(dir, "data");
  cpSync(templateDatadir(), datadir, { recursive: true });
  const port = await freeLoopbackPort();
  const socket = path.join(dir, "mysqld.sock");
  const args = [
    "--no-defaults",
    "--user=root",
    `--datadir=${datadir}`,
    `--socket=${socket}`,
    `--pid-file=${path.join(dir, "mysqld.pid")}`,
    `--port=${port}`,
    "--bind-address=127.0.0.1",
    "--innodb-buffer-pool-size=32M",
    "--innodb-log-file-size=16M",
    "--performance-schema=OFF",
    "--skip-log-bin",
    `--log-error=${path.join(dir, "error.log")}`,
  ];
  const proc = new ManagedProcess("mariadbd", "/usr/sbin/mariadbd", args, port, dir);
  await proc.start();
  const sql = (statement: string): string => {
    const result = spawnSync("mariadb", [`--socket=${socket}`, "-uroot", "-N", "-B", "-e", statement], { encoding: "utf8", timeout: 30_000 });
    if (result.status !== 0) throw new Error(`private MariaDB: ${result.stderr?.trim() || result.error}`);
    return result.stdout;
  };
  return Object.assign(proc.handle(), {
    sql,
    async createDatabase(name: string) {
      sql(`CREATE DATABASE IF NOT EXISTS \`${name}\``);
      return `mysql://root@127.0.0.1:${port}/${name}`;
    },
  });
}

export async function startPrivateRedis(): Promise<PrivateProcess & { url: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), "dnsproof-redis-"));
  const port = await freeLoopbackPort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", path.join(dir, "redis.log")];
  const proc = new ManagedProcess("redis-server", "/usr/bin/redis-server", args, port, dir);
  await proc.start();
  return Object.assign(proc.handle(), { url: `redis://127.0.0.1:${port}` });
}

/** One server process: started, signalled and stopped by its own PID only. */
class ManagedProcess {
  private child: ChildProcess | null = null;
  private paused = false;

  constructor(
    private readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly port: number,
    private readonly dir: string,
  ) {}

  async start(): Promise<void> {
    this.child = spawn(this.command, this.args, { stdio: "ignore" });
    const child = this.child;
    await waitForPort(this.port, 60_000, () => child.exitCode !== null || child.signalCode !== null, `${this.name} (see ${this.dir})`);
  }

  handle(): PrivateProcess {
    const self = this;
    return {
      port: this.port,
      get pid() {
        return self.child?.pid ?? -1;
      },
      pause: () => this.signal("SIGSTOP"),
      resume: () => this.signal("SIGCONT"),
      kill: () => this.exit("SIGKILL"),
      restart: () => this.start(),
      stop: async () => {
        await this.exit("SIGTERM");
        rmSync(this.dir, { recursive: true, force: true });
      },
    };
  }

  private signal(signal: "SIGSTOP" | "SIGCONT"): void {
    if (!this.child?.pid || this.child.exitCode !== null) return;
    process.kill(this.child.pid, signal);
    this.paused = signal === "SIGSTOP";
  }

  private async exit(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    if (this.paused) this.signal("SIGCONT");
    child.kill(signal);
    const force = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(force);
  }
}

async function waitForPort(port: number, timeoutMs: number, gaveUp: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (gaveUp()) throw new Error(`${what} exited before accepting connections`);
    if (Date.now() > deadline) throw new Error(`${what} did not accept connections within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
