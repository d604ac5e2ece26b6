/**
 * A DNSSEC-validating Unbound for tests, on a free loopback port, as this process's own child.
 *
 *     const dns = await startBind9({ zones: [{ name: "signed.test", signed: true }, { name: "plain.test" }] });
 *     const resolver = await startUnbound({
 *       zones: [
 *         { name: "signed.test", nameserver: dns.server, trustAnchor: dns.dnskey("signed.test") },
 *         { name: "plain.test", nameserver: dns.server },
 *       ],
 *     });
 *     // DNS_SERVERS=resolver.server, DNS_RESOLVERS_VALIDATE=true
 *     await resolver.stop();
 *
 * A zone with a trust anchor is validated against it (a wrong anchor makes it BOGUS); one without
 * is declared insecure. Needs Debian's `unbound`.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import * as dnsPacket from "dns-packet";
import { SUPERVISOR, findExecutable, freeLoopbackPort } from "./bind9";

export interface UnboundZone {
  /** The zone apex, e.g. "signed.test". */
  name: string;
  /** "127.0.0.1:PORT" of its authoritative server. */
  nameserver: string;
  /** "<zone>. DNSKEY 257 3 13 <base64>"; without it the zone is insecure (domain-insecure). */
  trustAnchor?: string;
}

export interface UnboundOptions {
  zones: UnboundZone[];
  /** Seconds answers are cached at most; default 1, so tests see changes at once. */
  cacheMaxTtl?: number;
}

export interface UnboundServer {
  port: number;
  /** "127.0.0.1:PORT", as DNS_SERVERS takes it. */
  server: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startUnbound(options: UnboundOptions): Promise<UnboundServer> {
  const unbound = findExecutable("unbound");
  if (!unbound) throw new Error("unbound was not found: install it (apt-get install -y unbound)");
  const port = await freeLoopbackPort();
  const dir = mkdtempSync(path.join(tmpdir(), "dnsproof-unbound-"));
  writeFileSync(path.join(dir, "unbound.conf"), configuration(dir, port, options));
  const child = spawn("/bin/sh", ["-c", SUPERVISOR, "sh", unbound, "-d", "-c", path.join(dir, "unbound.conf")], { stdio: ["pipe", "pipe", "pipe"] });
  // As with named: a test that forgets stop() must not keep Jest waiting; its exit closes stdin, which stops unbound.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as net.Socket | null)?.unref();
  const log: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => log.push(chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));
  const stop = async () => {
    child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 50 && running; attempt++) {
    if (await answers(port)) return { port, server: `127.0.0.1:${port}`, dir, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`unbound did not answer on 127.0.0.1:${port}:\n${log.join("").slice(-2000)}`);
}

function configuration(dir: string, port: number, options: UnboundOptions): string {
  const ttl = options.cacheMaxTtl ?? 1;
  const lines = [
    "server:",
    `  interface: 127.0.0.1@${port}`,
    "  do-ip6: no",
    '  username: ""',
    '  chroot: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${dir}/unbound.pid"`,
    "  use-syslog: no",
    "  verbosity: 1",
    "  access-control: 127.0.0.0/8 allow",
    // Unbound refuses to ask servers on loopback, and answers .test itself (RFC 6761), unless told not to.
    "  do-not-query-localhost: no",
    '  local-zone: "test." nodefault',
    "  ede: yes",
    "  val-log-level: 2",
    `  cache-max-ttl: ${ttl}`,
    `  cache-max-negative-ttl: ${ttl}`,
    "  qname-minimisation: no",
    ...options.zones.flatMap((zone) => (zone.trustAnchor ? [`  trust-anchor: "${zone.trustAnchor}"`] : [`  domain-insecure: "${zone.name}"`])),
    ...options.zones.flatMap((zone) => {
      const [address, nsPort] = zone.nameserver.split(":");
      return ["stub-zone:", `  name: "${zone.name}"`, `  stub-addr: ${address}@${nsPort}`];
    }),
  ];
  return `${lines.join("\n")}\n`;
}

function answers(port: number): Promise<boolean> {
  const id = randomBytes(2).readUInt16BE(0);
  const query = dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: "localhost", type: "A", class: "IN" }] });
  const socket = dgram.createSocket("udp4");
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 200);
    socket.on("error", () => done(false));
    socket.on("message", () => done(true));
    socket.send(query, port, "127.0.0.1");
  });
}
