/**
 * The one DNS client: dns-packet messages over node:dgram (sockets shared per server, see
 * udp-sockets.ts), asked again over node:net when the UDP reply is truncated. Every query
 * carries EDNS with the DO bit, so a validating resolver sets AD on what it vouches for and
 * attaches Extended DNS Errors (RFC 8914) to what it refuses.
 * Every query of a verification shares its Deadline and, where there is one, its query budget.
 */
import net from "node:net";
import { randomInt } from "node:crypto";
import * as dnsPacket from "dns-packet";
import { BUDGET_SPENT_CODE, type QueryAllowance } from "./budget";
import { Deadline, EXPIRED } from "./deadline";
import { udpSockets } from "./udp-sockets";
import { decodeExtendedError, EDE_OPTION_CODE } from "../extended-errors";
import { replyStatus } from "../dnssec";
import type { DnsServerAddress } from "../../shared/dns-servers";
import type { DnssecStatus, ExtendedDnsError } from "../types";

export type LookupType = "TXT" | "CNAME" | "NS" | "A" | "AAAA" | "SOA";

/** RECORDS when the answer holds records of the asked type; otherwise why not. */
export type LookupAnswer = "RECORDS" | "NXDOMAIN" | "NODATA" | "TIMEOUT" | "SERVFAIL" | "REFUSED" | "ERROR";

export interface DnsLookupResult {
  answer: LookupAnswer;
  /** The records of the asked type: TXT chunks joined, names without the trailing dot, addresses. */
  values: string[];
  /** Lowest TTL among those records; null when there are none. */
  ttl: number | null;
  dnssec: DnssecStatus;
  extendedErrors: ExtendedDnsError[];
  durationMs: number;
  /** Why no records came, for messages: the rcode's name, ETIMEOUT, EBUDGET, or a socket error code. */
  code: string | null;
  /** TXT records as the chunks they were published in (empty for other types). */
  txtChunks: string[][];
  /** The decoded reply, for callers that read more of it (negative caching reads the authority section). */
  reply: dnsPacket.DecodedPacket | null;
}

export interface LookupRequest {
  server: DnsServerAddress;
  name: string;
  type: LookupType;
  /** Set for resolvers; a zone's own nameserver is asked without recursion. */
  recursionDesired: boolean;
  /** DNS_RESOLVERS_VALIDATE: the server validates DNSSEC and is reached over a trusted path. */
  validating: boolean;
  deadline: Deadline;
  /** Counts every message sent, the TCP retry included. */
  allowance?: QueryAllowance;
}

/** Room for a signed answer without fragmentation (the DNS Flag Day 2020 size). */
const UDP_PAYLOAD_SIZE = 1232;

/** Asks one server one question; never throws. */
export async function lookup(request: LookupRequest): Promise<DnsLookupResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (request.deadline.expired) return noReply("TIMEOUT", "ETIMEOUT", elapsed());
  const id = randomInt(0, 0x10000);
  let query: dnsPacket.Packet;
  let bytes: Buffer;
  try {
    query = queryPacket(id, request);
    bytes = dnsPacket.encode(query);
  } catch {
    return noReply("ERROR", "EBADNAME", elapsed());
  }
  let reply = await send(request, query, bytes, "udp");
  if (typeof reply !== "string" && reply.flag_tc) reply = await send(request, query, bytes, "tcp");
  if (typeof reply === "string") {
    return noReply(reply === "ETIMEOUT" ? "TIMEOUT" : "ERROR", reply, elapsed());
  }
  return readReply(reply, request.type, request.validating, elapsed());
}

function queryPacket(id: number, request: LookupRequest): dnsPacket.Packet {
  return {
    type: "query",
    id,
    flags: request.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ type: request.type, class: "IN", name: request.name }],
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: UDP_PAYLOAD_SIZE, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }],
  };
}

function noReply(answer: LookupAnswer, code: string, durationMs: number): DnsLookupResult {
  return { answer, values: [], ttl: null, dnssec: "UNVALIDATED", extendedErrors: [], durationMs, code, txtChunks: [], reply: null };
}

/** What a reply says, as the verifier reads it. Exported for tests with dns-packet-encoded replies. */
export function readReply(reply: dnsPacket.DecodedPacket, type: LookupType, validating: boolean, durationMs: number): DnsLookupResult {
  const rcode = (reply as dnsPacket.DecodedPacket & { rcode?: string }).rcode ?? "NOERROR";
  const extendedErrors = extendedErrorsOf(reply);
  const dnssec = replyStatus({ rcode, authenticData: reply.flag_ad, extendedErrors }, validating);
  // A TXT query at a CNAME answers with the chain and the target's records: those of the asked type count.
  const records = (reply.answers ?? []).filter((record) => record.type === type) as AnswerRecord[];
  const txtChunks = records.map((record) => (type === "TXT" ? txtChunksOf(record.data) : [])).filter((chunks) => chunks.length > 0);
  const values = type === "TXT" ? txtChunks.map((chunks) => chunks.join("")) : records.map((record) => valueOf(record));
  const base = { values, dnssec, extendedErrors, durationMs, txtChunks, reply };
  if (rcode === "NOERROR" && records.length > 0) {
    return { ...base, answer: "RECORDS", ttl: Math.min(...records.map((record) => record.ttl ?? 0)), code: null };
  }
  const answer: LookupAnswer =
    rcode === "NOERROR" ? "NODATA" : rcode === "NXDOMAIN" ? "NXDOMAIN" : rcode === "SERVFAIL" ? "SERVFAIL" : rcode === "REFUSED" ? "REFUSED" : "ERROR";
  return { ...base, answer, ttl: null, code: rcode };
}

function extendedErrorsOf(reply: dnsPacket.DecodedPacket): ExtendedDnsError[] {
  const errors: ExtendedDnsError[] = [];
  for (const record of reply.additionals ?? []) {
    if (record.type !== "OPT") continue;
    for (const option of record.options as { code: number; data?: Buffer }[]) {
      const error = option.code === EDE_OPTION_CODE && option.data ? decodeExtendedError(option.data) : null;
      if (error) errors.push(error);
    }
  }
  return errors;
}

function txtChunksOf(data: unknown): string[] {
  const chunks = Array.isArray(data) ? data : [data];
  return chunks.map((chunk: unknown) => (Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk)));
}

type AnswerRecord = { type: string; ttl?: number; data?: unknown };

function valueOf(record: AnswerRecord): string {
  if (typeof record.data === "string") return record.data.replace(/\.$/, "");
  if (record.type === "SOA") return (record.data as dnsPacket.SoaData).mname;
  return String(record.data);
}

type Transport = "udp" | "tcp";

/** One message and its matching reply, or why there is none (ETIMEOUT, EBUDGET, a socket error code). */
async function send(request: LookupRequest, query: dnsPacket.Packet, bytes: Buffer, transport: Transport): Promise<dnsPacket.DecodedPacket | string> {
  if (request.deadline.expired) return "ETIMEOUT";
  if (request.allowance && !request.allowance.take()) return BUDGET_SPENT_CODE;
  const exchange = transport === "udp" ? udpSockets.exchange(request.server, query.questions![0], bytes) : tcpExchange(request.server, query);
  request.deadline.onFinish(exchange.close);
  const result = await request.deadline.race(exchange.reply);
  exchange.close();
  return result === EXPIRED ? "ETIMEOUT" : result;
}

interface Exchange {
  reply: Promise<dnsPacket.DecodedPacket | string>;
  close: () => void;
}

function matches(reply: dnsPacket.DecodedPacket, query: dnsPacket.Packet): boolean {
  const asked = query.questions![0];
  const question = reply.questions?.[0];
  return (
    reply.type === "response" &&
    reply.id === query.id &&
    question?.type === asked.type &&
    question.name.toLowerCase() === asked.name.toLowerCase().replace(/\.$/, "")
  );
}

function tcpExchange(server: DnsServerAddress, query: dnsPacket.Packet): Exchange {
  const socket = net.connect({ host: server.address, port: server.port, family: server.family });
  const close = () => socket.destroy();
  const reply = new Promise<dnsPacket.DecodedPacket | string>((resolve) => {
    let received = Buffer.alloc(0);
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "ESOCKET"));
    socket.on("close", () => resolve("ECONNRESET"));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      const decoded = tryDecode(received.subarray(2, 2 + received.readUInt16BE(0)));
      resolve(decoded && matches(decoded, query) ? decoded : "EBADRESP");
    });
    socket.write(dnsPacket.streamEncode(query));
  });
  return { reply, close };
}

function tryDecode(bytes: Buffer): dnsPacket.DecodedPacket | null {
  try {
    return dnsPacket.decode(bytes);
  } catch {
    return null;
  }
}
