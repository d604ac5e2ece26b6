/**
 * UDP sockets shared by queries to the same server, each used for a bounded number of queries.
 *
 * A socket opened and closed per query cost about a fifth of the sweep's CPU (bind, the first
 * send, close). Sharing one socket among concurrent queries to one server keeps most of the
 * protection a fresh random source port gives (RFC 5452): a socket only ever talks to one server,
 * so a nameserver an attacker runs never learns the port of a socket that talks to another one;
 * a reply must come from the server's address and port, carry a pending query's ID and echo its
 * question; and a socket is retired after MAX_QUERIES_PER_SOCKET queries or MAX_SOCKET_AGE_MS, so
 * the port a query leaves from keeps changing, as c-ares does with its udp_max_queries.
 */
import dgram from "node:dgram";
import { randomInt } from "node:crypto";
import * as dnsPacket from "dns-packet";
import type { DnsServerAddress } from "../../shared/dns-servers";

/** Queries one socket carries before it is retired: a new random port every so many. */
export const MAX_QUERIES_PER_SOCKET = 64;
/** However few queries it carried, a socket older than this takes no new one. */
export const MAX_SOCKET_AGE_MS = 2_000;
/** A socket with nothing pending is closed after this long unused. */
const IDLE_CLOSE_MS = 1_000;

/** A reply, or why there is none (a socket error code). */
export type UdpOutcome = dnsPacket.DecodedPacket | string;

export interface UdpExchange {
  reply: Promise<UdpOutcome>;
  /** Stops waiting: a reply arriving later is dropped. */
  close: () => void;
}

interface Pending {
  question: dnsPacket.Question;
  resolve: (outcome: UdpOutcome) => void;
}

class SharedSocket {
  readonly socket: dgram.Socket;
  readonly pending = new Map<number, Pending>();
  private sent = 0;
  private readonly openedAt = performance.now();
  private idleTimer: NodeJS.Timeout | null = null;
  closed = false;

  constructor(
    private readonly server: DnsServerAddress,
    private readonly onClosed: (socket: SharedSocket) => void,
  ) {
    this.socket = dgram.createSocket(server.family === 6 ? "udp6" : "udp4");
    this.socket.unref();
    this.socket.on("error", (error: NodeJS.ErrnoException) => this.fail(error.code ?? "ESOCKET"));
    this.socket.on("message", (bytes, from) => this.receive(bytes, from));
    // Connected, as c-ares connects its sockets: the kernel routes each send once rather than
    // per datagram, and drops datagrams from any other address before they reach us.
    this.socket.connect(server.port, server.address, () => {
      this.connected = true;
      for (const send of this.unsent.splice(0)) send();
    });
  }

  private connected = false;
  private readonly unsent: (() => void)[] = [];

  /** False once the socket carried its share of queries or grew old: the pool opens another. */
  get takesMore(): boolean {
    return !this.closed && this.sent < MAX_QUERIES_PER_SOCKET && performance.now() - this.openedAt < MAX_SOCKET_AGE_MS && this.pending.size < 0x4000;
  }

  exchange(question: dnsPacket.Question, query: Buffer): UdpExchange {
    const id = this.freeId();
    // The message as encoded once by the caller, with this socket's ID in its first two bytes.
    const message = Buffer.from(query);
    message.writeUInt16BE(id, 0);
    this.sent++;
    this.stopIdleTimer();
    // Held open while a query waits on it, as a socket per query was; an idle one keeps no process alive.
    if (this.pending.size === 0) this.socket.ref();
    const reply = new Promise<UdpOutcome>((resolve) => {
      this.pending.set(id, { question, resolve });
      const send = () => {
        if (!this.pending.has(id) || this.closed) return;
        this.socket.send(message, (error) => {
          if (error) this.settle(id, (error as NodeJS.ErrnoException).code ?? "ESOCKET");
        });
      };
      if (this.connected) send();
      else this.unsent.push(send);
    });
    return { reply, close: () => this.settle(id, "ECANCELED") };
  }

  private freeId(): number {
    for (;;) {
      const id = randomInt(0, 0x10000);
      if (!this.pending.has(id)) return id;
    }
  }

  private receive(bytes: Buffer, from: dgram.RemoteInfo): void {
    // Anything not from the server, undecodable, or not an answer to a pending question is
    // ignored: a spoofed or stray datagram must not end any wait.
    if (from.port !== this.server.port || from.address !== this.server.address || bytes.length < 12) return;
    const id = bytes.readUInt16BE(0);
    const waiting = this.pending.get(id);
    if (!waiting) return;
    const decoded = tryDecode(bytes);
    if (decoded && answers(decoded, waiting.question)) this.settle(id, decoded);
  }

  private settle(id: number, outcome: UdpOutcome): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    waiting.resolve(outcome);
    if (this.pending.size > 0) return;
    this.socket.unref();
    if (!this.takesMore) this.close();
    else this.startIdleTimer();
  }

  private fail(code: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, code);
    this.close();
  }

  private startIdleTimer(): void {
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => this.close(), IDLE_CLOSE_MS);
      this.idleTimer.unref();
    }
  }

  private stopIdleTimer(): void {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopIdleTimer();
    for (const waiting of this.pending.values()) waiting.resolve("ECANCELED");
    this.pending.clear();
    this.onClosed(this);
    try {
      this.socket.close();
    } catch {
      // Closed already by an error.
    }
  }
}

function answers(reply: dnsPacket.DecodedPacket, asked: dnsPacket.Question): boolean {
  const question = reply.questions?.[0];
  return reply.type === "response" && question?.type === asked.type && question.name.toLowerCase() === asked.name.toLowerCase().replace(/\.$/, "");
}

function tryDecode(bytes: Buffer): dnsPacket.DecodedPacket | null {
  try {
    return dnsPacket.decode(bytes);
  } catch {
    return null;
  }
}

/** The sockets of the process, one current socket per server; retired ones live on until their queries are answered. */
export class UdpSockets {
  private readonly current = new Map<string, SharedSocket>();
  private readonly open = new Set<SharedSocket>();

  /** Sends `query` (an encoded message; its ID is replaced) to `server`, asking `question`. */
  exchange(server: DnsServerAddress, question: dnsPacket.Question, query: Buffer): UdpExchange {
    const key = `${server.family}|${server.address}|${server.port}`;
    let socket = this.current.get(key);
    if (!socket || !socket.takesMore) {
      socket = new SharedSocket(server, (closed) => {
        this.open.delete(closed);
        if (this.current.get(key) === closed) this.current.delete(key);
      });
      this.current.set(key, socket);
      this.open.add(socket);
    }
    return socket.exchange(question, query);
  }

  /** Sockets open now, retired ones included (for tests and metrics). */
  get openCount(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const socket of [...this.open]) socket.close();
  }
}

/** The process's pool: sockets are a process resource, as c-ares channels are. */
export const udpSockets = new UdpSockets();
