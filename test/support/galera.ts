/**
 * A private 3-node MariaDB Galera cluster on loopback, for tests that run instances on different
 * nodes.
 *
 *     const cluster = await startGalera();
 *     const url = await cluster.createDatabase(); // one URL per node, same database
 *     await cluster.stop();
 *
 * Nodes listen on 127.0.0.1 at `basePort + 1..3` (3311-3313 by default); their group (gcomm),
 * incremental (IST) and snapshot (SST) transfer ports are 4571-4573, 4581-4583 and 4591-4593
 * unless told otherwise. Both transfer ports are set explicitly: IST defaults to the gcomm port
 * + 1, the next node's gcomm port, and SST to 4444 for every node. Node 1 starts a new cluster,
 * then 2 and 3 join one at a time, each after the previous one reports Synced. Needs Debian's
 * mariadb-server, galera-4, rsync and socat.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const PROVIDER = "/usr/lib/galera/libgalera_smm.so";
/** The account the tests connect as over TCP, its password the same. */
const USER = "dnsproof";
const INSTALL_ADVICE = "install galera-4, rsync and socat (apt-get install -y galera-4 rsync socat)";

export interface GaleraOptions {
  /** Node N's SQL port is basePort + N. */
  basePort?: number;
  /** Node N's gcomm port is groupBasePort + N; IST and SST take the next two decades. */
  groupBasePort?: number;
}

export interface GaleraNode {
  index: number;
  port: number;
  dir: string;
  process?: ChildProcess;
}

export interface GaleraCluster {
  nodes: GaleraNode[];
  /** Creates a database of its own on the cluster; returns its URL on each node, in node order. */
  createDatabase(): Promise<string[]>;
  /** One SQL statement through node `index`'s socket, as the cluster's root; the tab-separated rows. */
  sql(index: number, statement: string): string;
  /**
   * Kills node `index` with SIGKILL, by the PID this support started it with, as a crash or the
   * OOM killer would: no shutdown, no goodbye to the group. Resolves once the process has exited.
   */
  killNode(index: number): Promise<void>;
  /**
   * Starts a stopped node again, joining the running cluster (never a new one), after recovering
   * its last position as a crashed node's service would: it catches up by IST from a peer's gcache,
   * or by a full SST when the gap is too large. Resolves once it reports
   * Synced and wsrep_ready=ON, with the Date.now() at which that was first seen.
   */
  restartNode(index: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startGalera(options: GaleraOptions = {}): Promise<GaleraCluster> {
  if (!existsSync(PROVIDER)) throw new Error(`No Galera provider at ${PROVIDER}: ${INSTALL_ADVICE}`);
  const basePort = options.basePort ?? 3310;
  const group = options.groupBasePort ?? 4570;
  const root = mkdtempSync(path.join(tmpdir(), "dnsproof-galera-"));
  const nodes: GaleraNode[] = [1, 2, 3].map((index) => ({ index, port: basePort + index, dir: path.join(root, `node${index}`) }));
  const cluster: GaleraCluster = {
    nodes,
    sql: (index, statement) => runSql(nodes[index - 1], statement),
    killNode: (index) => killNode(nodes[index - 1]),
    restartNode: async (index) => {
      const node = nodes[index - 1];
      if (node.process && node.process.exitCode === null && node.process.signalCode === null) throw new Error(`Galera node ${index} is still running`);
      startNode(node, false, recoverPosition(node));
      // Polled often: the tests measure from this moment.
      return waitUntilSynced(node, 120_000, 50);
    },
    createDatabase: async () => {
      const name = `dnsproof_galera_${randomBytes(4).toString("hex")}`;
      runSql(nodes[0], `CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      return nodes.map((node) => `mysql://${USER}:${USER}@127.0.0.1:${node.port}/${name}`);
    },
    stop: async () => {
      await stopNodes(nodes);
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    for (const node of nodes) writeConfig(node, group);
    // The nodes run as mysql, and so does the rsync daemon that receives a state transfer.
    chmodSync(root, 0o755);
    spawnSync("chown", ["-R", "mysql:mysql", root]);
    install(nodes[0]);
    for (const node of nodes) {
      startNode(node, node.index === 1);
      await waitUntilSynced(node);
      // Root signs in by its Unix socket only; the later nodes receive this account with node 1's data.
      if (node.index === 1) runSql(node, `CREATE USER IF NOT EXISTS '${USER}'@'%' IDENTIFIED BY '${USER}'; GRANT ALL ON *.* TO '${USER}'@'%'`);
    }
  } catch (error) {
    // The directory stays: the nodes' error.log files explain the failure.
    await stopNodes(nodes);
    throw error;
  }
  return cluster;
}

function writeConfig(node: GaleraNode, group: number | null): void {
  mkdirSync(path.join(node.dir, "data"), { recursive: true });
  const n = node.index;
  const members = [1, 2, 3].map((i) => `127.0.0.1:${(group ?? 0) + i}`).join(",");
  const server = [
    "[mysqld]",
    `datadir=${path.join(node.dir, "data")}`,
    `socket=${path.join(node.dir, "mysqld.sock")}`,
    `pid-file=${path.join(node.dir, "mysqld.pid")}`,
    `log-error=${path.join(node.dir, "error.log")}`,
    `port=${node.port}`,
    "bind-address=127.0.0.1",
    "user=mysql",
    "binlog_format=ROW",
    "innodb_autoinc_lock_mode=2",
    "innodb_buffer_pool_size=64M",
    "performance_schema=OFF",
  ];
  const wsrep =
    group === null
      ? []
      : [
          "wsrep_on=ON",
          `wsrep_provider=${PROVIDER}`,
          "wsrep_cluster_name=dnsproof_test",
          `wsrep_cluster_address=gcomm://${members}`,
          `wsrep_node_address=127.0.0.1:${group + n}`,
          `wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${group + n};ist.recv_addr=127.0.0.1:${group + 10 + n}"`,
          `wsrep_sst_receive_address=127.0.0.1:${group + 20 + n}`,
          "wsrep_sst_method=rsync",
        ];
  writeFileSync(path.join(node.dir, "my.cnf"), [...server, ...wsrep].join("\n") + "\n");
}

/** A plain MariaDB server with a Galera node's settings but no wsrep: what the cluster's figures are compared against. */
export interface SingleServer {
  /** Creates a database of its own; returns its URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export async function startSingleServer(options: { port?: number } = {}): Promise<SingleServer> {
  const root = mkdtempSync(path.join(tmpdir(), "dnsproof-single-"));
  const node: GaleraNode = { index: 1, port: options.port ?? 3319, dir: path.join(root, "node1") };
  try {
    writeConfig(node, null);
    chmodSync(root, 0o755);
    spawnSync("chown", ["-R", "mysql:mysql", root]);
    install(node);
    startNode(node, false);
    await waitUntilAnswering(node);
    runSql(node, `CREATE USER IF NOT EXISTS '${USER}'@'%' IDENTIFIED BY '${USER}'; GRANT ALL ON *.* TO '${USER}'@'%'`);
  } catch (error) {
    await stopNode(node);
    throw error;
  }
  return {
    createDatabase: async () => {
      const name = `dnsproof_single_${randomBytes(4).toString("hex")}`;
      runSql(node, `CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      return `mysql://${USER}:${USER}@127.0.0.1:${node.port}/${name}`;
    },
    stop: async () => {
      await stopNode(node);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function waitUntilAnswering(node: GaleraNode, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      runSql(node, "SELECT 1");
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`MariaDB on port ${node.port} not answering within ${timeoutMs / 1000} s: ${error}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function startNode(node: GaleraNode, newCluster: boolean, startPosition?: string): void {
  const args = [`--defaults-file=${path.join(node.dir, "my.cnf")}`, ...(newCluster ? ["--wsrep-new-cluster"] : [])];
  if (startPosition) args.push(`--wsrep-start-position=${startPosition}`);
  node.process = spawn("/usr/sbin/mariadbd", args, { stdio: "ignore" });
}

/**
 * A node that crashed leaves seqno -1 in grastate.dat, and started as is it asks for a full SST.
 * Reading its last committed position from InnoDB first (--wsrep-recover, what the galera_recovery
 * step of Debian's systemd unit does) lets it catch up by IST from a peer's gcache instead.
 */
function recoverPosition(node: GaleraNode): string | undefined {
  const log = path.join(node.dir, "recover.log");
  rmSync(log, { force: true });
  spawnSync("/usr/sbin/mariadbd", [`--defaults-file=${path.join(node.dir, "my.cnf")}`, "--wsrep-recover", `--log-error=${log}`], { timeout: 60_000 });
  const text = existsSync(log) ? readFileSync(log, "utf8") : "";
  const position = /WSREP: Recovered position: ([0-9a-f-]{36}:\d+)/.exec(text)?.[1];
  return position;
}

function install(node: GaleraNode): void {
  const result = spawnSync("mariadb-install-db", ["--no-defaults", "--user=mysql", `--datadir=${path.join(node.dir, "data")}`, "--skip-test-db"], {
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`mariadb-install-db failed: ${result.stderr || result.error}`);
}

function runSql(node: GaleraNode, statement: string): string {
  const result = spawnSync("mariadb", [`--socket=${path.join(node.dir, "mysqld.sock")}`, "-uroot", "-N", "-B", "-e", statement], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`node ${node.index}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Until the node reports Synced and wsrep_ready=ON; resolves with the Date.now() at which it first did. */
async function waitUntilSynced(node: GaleraNode, timeoutMs = 40_000, pollMs = 250): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const status = runSql(node, "SHOW STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_ready')");
      if (/wsrep_local_state_comment\tSynced/.test(status) && /wsrep_ready\tON/.test(status)) return Date.now();
    } catch {
      // Not accepting connections yet, or still receiving its state transfer.
    }
    if (node.process?.exitCode !== null && node.process?.exitCode !== undefined) {
      throw new Error(`Galera node ${node.index} exited with ${node.process.exitCode}; see ${path.join(node.dir, "error.log")}`);
    }
    if (Date.now() > deadline) throw new Error(`Galera node ${node.index} not Synced within ${timeoutMs / 1000} s; see ${path.join(node.dir, "error.log")}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function killNode(node: GaleraNode): Promise<void> {
  const child = node.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error(`Galera node ${node.index} is not running`);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** In reverse, so that node 1 stops last and could bootstrap the cluster again. */
async function stopNodes(nodes: GaleraNode[]): Promise<void> {
  for (const node of [...nodes].reverse()) await stopNode(node);
}

async function stopNode(node: GaleraNode): Promise<void> {
  const child = node.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}
