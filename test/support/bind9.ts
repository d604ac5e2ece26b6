/**
 * Real BIND 9 servers for tests, on loopback high ports.
 *
 *     const dns = await startBind9({ zones: [{ name: "acme.test" }] });
 *     await dns.update("acme.test", [`update add _dnsproof-verify.a.acme.test. 60 TXT "dnsproof-verification=${token}"`]);
 *     // point the service at it: DNS_SERVERS=dns.server (e.g. "127.0.0.1:24617")
 *     await dns.stop();
 *
 * Every zone gets `$TTL 60`, an SOA whose MINIMUM (the negative-caching TTL) is 30 unless told
 * otherwise, `NS ns1.<zone>.` and the glue `ns1 A 127.0.0.1`, so the instance is also the zone's
 * own nameserver for authoritative-mode tests. Records change through `nsupdate` (dynamic updates
 * are allowed from 127.0.0.1). Needs `named` and `nsupdate`: Debian's bind9 and bind9-dnsutils.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import * as dnsPacket from "dns-packet";

export interface Bind9Zone {
  /** The zone apex, e.g. "acme.test". */
  name: string;
  /** Zone-file lines, relative to the apex unless they end in a dot, e.g. `_dnsproof-verify.a TXT "x" "y"`. */
  records?: string[];
  /** SOA MINIMUM field: how long resolvers cache "no such record" (RFC 2308 takes the lesser of it and the SOA TTL, 60). Default 30. */
  negativeTtl?: number;
  /** Sign the zone (dnssec-policy with one ECDSA P-256 key, inline-signing); its key is then in `dnskey(zone)`. */
  signed?: boolean;
}

export interface Bind9Options {
  /** Zones this instance serves as primary. */
  zones?: Bind9Zone[];
  /** Answer every query with REFUSED (`allow-query { none; }`). */
  refuseQueries?: boolean;
  /** Another instance's "127.0.0.1:PORT": run as a caching resolver that forwards every query there. */
  forwardTo?: string;
  /** The named binary; by default found on PATH, in /usr/sbin or /usr/local/sbin. */
  namedPath?: string;
}

export interface Bind9Server {
  port: number;
  /** "127.0.0.1:PORT", as DNS_SERVERS and the verifier's `servers` take it. */
  server: string;
  /** The instance's own temporary directory: named.conf, zone files, journals. */
  dir: string;
  /**
   * Sends one dynamic update to `zone` through nsupdate, e.g.
   * `["update delete _dnsproof-verify.a.acme.test. TXT", "update add _dnsproof-verify.a.acme.test. 60 TXT \"x\" \"y\""]`.
   * Resolves once the server has applied it.
   */
  update(zone: string, lines: string[]): Promise<void>;
  /** A signed zone's key as a trust anchor takes it: "<zone>. DNSKEY 257 3 13 <base64>". */
  dnskey(zone: string): string;
  stop(): Promise<void>;
}

const INSTALL_ADVICE = "install bind9 and bind9-dnsutils (apt-get install -y bind9 bind9-dnsutils)";
const SEARCH_PATH = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/local/sbin"];

/**
 * Runs named under a shell that stops it when our end of its stdin closes: on stop(), and also
 * when the test process dies without calling stop() (Jest's sandboxed `process` runs no exit hooks).
 * Background jobs of a non-interactive shell read /dev/null, so the watcher reads stdin through fd 3.
 */
export const SUPERVISOR = 'exec 3<&0; bin="$1"; shift; "$bin" "$@" & named=$!; (read -r _ <&3; kill "$named" 2>/dev/null) & wait "$named"';

export async function startBind9(options: Bind9Options = {}): Promise<Bind9Server> {
  const named = options.namedPath ?? findExecutable("named");
  if (!named || !isExecutable(named)) throw new Error(`BIND 9's named was not found: ${INSTALL_ADVICE}`);
  const nsupdate = findExecutable("nsupdate");
  if (!nsupdate) throw new Error(`nsupdate was not found: ${INSTALL_ADVICE}`);

  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeLoopbackPort();
    try {
      return await launch(named, nsupdate, port, options);
    } catch (error) {
      lastError = error as Error;
      if (!(error instanceof PortTakenError)) throw error;
    }
  }
  throw lastError;
}

/** named shares ports through SO_REUSEPORT, so a port taken meanwhile shows up as another server answering. */
class PortTakenError extends Error {}

async function launch(named: string, nsupdate: string, port: number, options: Bind9Options): Promise<Bind9Server> {
  const dir = mkdtempSync(path.join(tmpdir(), "dnsproof-bind9-"));
  const identity = `dnsproof-test-${randomBytes(8).toString("hex")}`;
  writeConfiguration(dir, port, identity, options);

  const args = ["-g", "-n", "1", "-c", path.join(dir, "named.conf")];
  if (process.getuid?.() === 0) args.push("-u", "root");
  const child = spawn("/bin/sh", ["-c", SUPERVISOR, "sh", named, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  // A test that forgets stop() must not keep Jest waiting; its exit still closes stdin and so stops named.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as net.Socket | null)?.unref();
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const stop = async () => {
    child.stdin?.end();
    const killer = setTimeout(() => killByPidFile(dir), 5000);
    await exited;
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitForLine(child, log, exited, / running$/);
    const unloaded = log.filter((line) => /not loaded due to errors/.test(line));
    if (unloaded.length > 0) throw new Error(unloaded.join("; "));
    const answeredBy = await askIdentity(port);
    for (const zone of options.zones ?? []) if (zone.signed) await waitForSignatures(port, zone.name);
    if (!options.refuseQueries && answeredBy.some((bytes) => !bytes.includes(identity))) {
      throw new PortTakenError(`another DNS server also answers on 127.0.0.1:${port}`);
    }
  } catch (error) {
    await stop();
    if (error instanceof PortTakenError) throw error;
    throw new Error(`named did not start on 127.0.0.1:${port}: ${(error as Error).message}\n${log.slice(-20).join("\n")}`);
  }

  return {
    port,
    server: `127.0.0.1:${port}`,
    dir,
    update: (zone, lines) => runNsupdate(nsupdate, port, zone, lines),
    dnskey: (zone) => readDnskey(dir, zone),
    stop,
  };
}

function writeConfiguration(dir: string, port: number, identity: string, options: Bind9Options): void {
  const zones = options.zones ?? [];
  const resolverOptions = options.forwardTo
    ? (() => {
        const [address, forwardPort] = options.forwardTo.split(":");
        return [
          "recursion yes;",
          "allow-recursion { 127.0.0.1; };",
          "forward only;",
          `forwarders { ${address} port ${forwardPort}; };`,
          "qname-minimization off;",
        ];
      })()
    : ["recursion no;"];
  const conf = [
    "options {",
    `  directory "${dir}";`,
    `  pid-file "${dir}/named.pid";`,
    `  session-keyfile "${dir}/session.key";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    "  listen-on-v6 { none; };",
    "  dnssec-validation no;",
    "  notify no;",
    `  version "${identity}";`,
    `  allow-query { ${options.refuseQueries ? "none" : "any"}; };`,
    ...resolverOptions.map((line) => `  ${line}`),
    "};",
    "controls { };",
    // Root hints on loopback, so a resolving instance can never send a query off this machine.
    ...(options.forwardTo ? [`zone "." { type hint; file "${dir}/root.hints"; };`] : []),
    // One key that never rolls, so a test's trust anchor stays valid for the instance's life.
    'dnssec-policy "fast" { keys { csk lifetime unlimited algorithm ecdsap256sha256; }; };',
    ...zones.map(
      (zone) =>
        `zone "${zone.name}" { type primary; file "${dir}/${zone.name}.zone"; allow-update { 127.0.0.1; };` +
        `${zone.signed ? ` dnssec-policy "fast"; inline-signing yes; key-directory "${dir}";` : ""} };`,
    ),
  ].join("\n");
  writeFileSync(path.join(dir, "named.conf"), `${conf}\n`);
  if (options.forwardTo) {
    writeFileSync(path.join(dir, "root.hints"), ". 3600000 NS a.root.invalid.\na.root.invalid. 3600000 A 127.0.0.1\n");
  }
  for (const zone of zones) {
    const lines = [
      `$ORIGIN ${zone.name}.`,
      "$TTL 60",
      `@ SOA ns1.${zone.name}. hostmaster.${zone.name}. 1 3600 600 86400 ${zone.negativeTtl ?? 30}`,
      `@ NS ns1.${zone.name}.`,
      "ns1 A 127.0.0.1",
      ...(zone.records ?? []),
    ];
    writeFileSync(path.join(dir, `${zone.name}.zone`), `${lines.join("\n")}\n`);
  }
}

/** named -g logs to stderr; resolves at the line matching `ready`, keeping every line for error reports. */
function waitForLine(child: ChildProcess, log: string[], exited: Promise<number | null>, ready: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no 'running' line within 15 s")), 15_000);
    for (const stream of [child.stdout, child.stderr]) {
      let partial = "";
      stream?.on("data", (chunk: Buffer) => {
        const lines = (partial + chunk.toString("utf8")).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
          log.push(line);
          if (ready.test(line)) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`named exited with code ${code}`));
    });
  });
}

/**
 * Asks `version.bind` (CHAOS TXT) from three source ports, so SO_REUSEPORT sharing would show.
 * One port after the other, and at most about two queries a second: named's built-in `_bind`
 * view answers three per second per /24 and drops the rest, counting the drops, so retries
 * faster than that while a loaded named was still starting kept every one of them dropped.
 */
async function askIdentity(port: number): Promise<Buffer[]> {
  const replies: Buffer[] = [];
  for (let source = 0; source < 3; source++) {
    let reply: Buffer | null = null;
    for (let attempt = 0; attempt < 30 && !reply; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 300));
      reply = await udpQuery(port, "version.bind", 200);
    }
    if (!reply) throw new Error("named logged 'running' but does not answer queries");
    replies.push(reply);
  }
  return replies;
}

function udpQuery(port: number, name: string, timeoutMs: number): Promise<Buffer | null> {
  const id = randomBytes(2).readUInt16BE(0);
  // version.bind only exists in the CHAOS class.
  const query = dnsPacket.encode({ type: "query", id, flags: 0, questions: [{ name, type: "TXT", class: "CH" }] });
  return udpExchange(port, query, id, timeoutMs);
}

function udpExchange(port: number, query: Buffer, id: number, timeoutMs: number): Promise<Buffer | null> {
  const socket = dgram.createSocket("udp4");
  return new Promise((resolve) => {
    const done = (reply: Buffer | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on("error", () => done(null));
    socket.on("message", (bytes) => {
      try {
        if (dnsPacket.decode(bytes).id === id) done(bytes);
      } catch {
        // not a DNS reply; keep waiting
      }
    });
    socket.send(query, port, "127.0.0.1");
  });
}

/** BIND signs a new zone a moment after loading it: waits until the apex SOA comes with its RRSIG. */
async function waitForSignatures(port: number, zone: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const id = randomBytes(2).readUInt16BE(0);
    const query = dnsPacket.encode({
      type: "query",
      id,
      flags: 0,
      questions: [{ name: zone, type: "SOA", class: "IN" }],
      additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }],
    });
    const reply = await udpExchange(port, query, id, 200);
    if (reply && (dnsPacket.decode(reply).answers ?? []).some((record) => record.type === "RRSIG")) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${zone} was not signed within 10 s`);
}

function readDnskey(dir: string, zone: string): string {
  for (const file of readdirSync(dir)) {
    if (!file.startsWith(`K${zone}.+`) || !file.endsWith(".key")) continue;
    const match = /DNSKEY\s+(257\s+3\s+\d+\s+.+)$/m.exec(readFileSync(path.join(dir, file), "utf8"));
    if (match) return `${zone}. DNSKEY ${match[1].trim()}`;
  }
  throw new Error(`no key-signing key for ${zone} in ${dir}: is the zone signed?`);
}

function killByPidFile(dir: string): void {
  try {
    process.kill(Number(readFileSync(path.join(dir, "named.pid"), "utf8")), "SIGKILL");
  } catch {
    // already gone
  }
}

function runNsupdate(nsupdate: string, port: number, zone: string, lines: string[]): Promise<void> {
  const script = [`server 127.0.0.1 ${port}`, `zone ${zone}`, ...lines, "send", ""].join("\n");
  return new Promise((resolve, reject) => {
    const child = spawn(nsupdate, ["-t", "5"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`nsupdate failed (exit ${code}) for:\n${script}\n${output}`)),
    );
    child.stdin.end(script);
  });
}

/**
 * A port free for both UDP and TCP on 127.0.0.1, from a range per Jest worker, so workers
 * starting servers at the same moment do not pick the same one.
 */
export async function freeLoopbackPort(): Promise<number> {
  const worker = Number(process.env.JEST_WORKER_ID ?? 1);
  const base = 20_000 + ((worker - 1) % 24) * 500;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = base + Math.floor(Math.random() * 500);
    if ((await canBind("udp", port)) && (await canBind("tcp", port))) return port;
  }
  throw new Error(`no free loopback port in ${base}-${base + 499}`);
}

function canBind(protocol: "udp" | "tcp", port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === "udp") {
      const socket = dgram.createSocket("udp4");
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
    } else {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    }
  });
}

export function findExecutable(name: string): string | null {
  for (const dir of SEARCH_PATH) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
