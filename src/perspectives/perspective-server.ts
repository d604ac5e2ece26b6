/**
 * `dnsproof perspective`: a small stateless HTTP service, meant for other hosts and networks,
 * that looks verification record hosts up at its own resolvers with the engine's own lookups and
 * answers the primary with a signed body. No database, no GraphQL.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Deadline } from "../verification/client/deadline";
import { openVantagePoint } from "../verification/client/resolver-lookup";
import { formatDnsServer, type DnsServerAddress } from "../shared/dns-servers";
import { CallerLimit } from "./caller-limit";
import {
  LOOKUP_PATH,
  NONCE_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  sameSecret,
  signAnswer,
  type LookupAnswer,
  type LookupObservation,
  type LookupRequest,
} from "./channel";
import { checkScope } from "./lookup-scope";

export interface PerspectiveOptions {
  name: string;
  region: string;
  /** PERSPECTIVE_SECRET: the primary's bearer token, and the key answers are signed with. */
  secret: string;
  /** The perspective's own resolvers (DNS_SERVERS). */
  resolvers: DnsServerAddress[];
  /** DNS_RESOLVERS_VALIDATE: those resolvers validate DNSSEC and are reached over a trusted path. */
  validating: boolean;
  /** DNS_TIMEOUT_MS: the most one request may take, whatever the primary asks. */
  timeoutMs: number;
  /** Requests per caller address per minute (PERSPECTIVE_RATE_LIMIT). */
  ratePerMinute: number;
  host: string;
  port: number;
  /** Seconds since the epoch for the signature's timestamp; the system clock by default. */
  nowSeconds?: () => number;
}

export interface RunningPerspective {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4096;

export async function startPerspective(options: PerspectiveOptions): Promise<RunningPerspective> {
  const limit = new CallerLimit(options.ratePerMinute);
  const server = http.createServer((req, res) => {
    handle(req, res, options, limit).catch(() => send(res, 500, { error: "internal error" }));
  });
  server.requestTimeout = options.timeoutMs + 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined),
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, options: PerspectiveOptions, limit: CallerLimit): Promise<void> {
  const wait = limit.take(req.socket.remoteAddress ?? "unknown");
  if (wait > 0) return send(res, 429, { error: "too many requests from this caller" }, { "retry-after": String(wait) });
  if (req.method === "GET" && req.url === "/health") return send(res, 200, { name: options.name, region: options.region });
  if (req.url !== LOOKUP_PATH) return send(res, 404, { error: "not found" });
  if (req.method !== "POST") return send(res, 405, { error: "POST only" });
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  if (!bearer || !sameSecret(bearer, options.secret)) return send(res, 401, { error: "a valid bearer token is required" }, { "www-authenticate": "Bearer" });
  const body = await readBody(req);
  if (body === null) return send(res, 413, { error: `the body must be at most ${MAX_BODY_BYTES} bytes` });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return send(res, 400, { error: "the body must be JSON" });
  }
  const scope = checkScope(parsed);
  if (!scope.ok) return send(res, scope.status, { error: scope.message });
  const answer: LookupAnswer = {
    perspective: { name: options.name, region: options.region },
    nonce: scope.request.nonce,
    observations: await lookUp(scope.request, options),
  };
  const bytes = Buffer.from(JSON.stringify(answer));
  const timestamp = Math.floor(options.nowSeconds?.() ?? Date.now() / 1000);
  res.writeHead(200, {
    "content-type": "application/json",
    [NONCE_HEADER]: scope.request.nonce,
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signAnswer(options.secret, scope.request.nonce, timestamp, bytes),
  });
  res.end(bytes);
}

/** Every lookup at every resolver at once, under one deadline. */
async function lookUp(request: LookupRequest, options: PerspectiveOptions): Promise<LookupObservation[]> {
  const deadline = new Deadline(Math.min(request.timeoutMs ?? options.timeoutMs, options.timeoutMs));
  const started = performance.now();
  try {
    const points = options.resolvers.map((server) => openVantagePoint(server, formatDnsServer(server), deadline, { recursionDesired: true, validating: options.validating }));
    return await Promise.all(
      points.flatMap((point) =>
        request.lookups.map(async ({ host, type }): Promise<LookupObservation> => {
          const result = type === "TXT" ? await point.txt(host) : await point.cname(host);
          return { server: point.label, host, type, result, dnssec: result.dnssec ?? "UNVALIDATED", durationMs: Math.round(performance.now() - started) };
        }),
      ),
    );
  } finally {
    deadline.finish();
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: http.ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}
