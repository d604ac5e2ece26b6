/**
 * A real webhook receiver on loopback that checks every POST with the Standard Webhooks
 * reference library (npm standardwebhooks), as an integration would.
 *
 *     const receiver = await startWebhookReceiver();
 *     receiver.secrets = [secret];        // from createWebhookEndpoint
 *     receiver.respond = () => 500;       // script the answers
 *     await receiver.waitFor((d) => d.length >= 2);
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface ReceivedWebhook {
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  payload: any;
  /** Which of `secrets` verified it (index), or -1 when none did. */
  verifiedWith: number;
  /** The index of secrets each signature of the header verifies with, in header order (-1: none). */
  signaturesVerified: number[];
  receivedAt: number;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Secrets to check signatures with. */
  secrets: string[];
  /** Answers each POST (after recording it); 200 by default. A number, or [status, headers]. */
  respond: (delivery: ReceivedWebhook, index: number) => number | [number, Record<string, string>];
  /** Holds each answer this long (timeouts). */
  delayMs: number;
  /** Never answers: each POST is recorded and left hanging until stop() (a receiver that black-holes). */
  hold: boolean;
  /** POSTs left hanging by `hold` and still open. */
  holding(): number;
  received: ReceivedWebhook[];
  /** POSTs in flight at this moment, and the most there ever were for one webhook-id at once. */
  maxConcurrentPerId: number;
  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** Stops listening (connections refused) until start() listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startWebhookReceiver(options: { port?: number } = {}): Promise<WebhookReceiver> {
  const inFlight = new Map<string, number>();
  const held = new Set<http.ServerResponse>();
  let server: http.Server;
  const receiver: WebhookReceiver = {
    url: "",
    port: options.port ?? 0,
    secrets: [],
    respond: () => 200,
    delayMs: 0,
    hold: false,
    holding: () => held.size,
    received: [],
    maxConcurrentPerId: 0,
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(receiver.received)) {
        if (Date.now() > deadline) throw new Error(`webhook receiver: condition not met within ${timeoutMs} ms; got ${receiver.received.length} POSTs`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return receiver.received;
    },
    stop: () => new Promise<void>((resolve) => {
      held.clear();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
    start: () => listen(),
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = {
        "webhook-id": String(req.headers["webhook-id"] ?? ""),
        "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
        "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
      };
      const verifies = (secret: string, signature: string) => {
        try {
          new Webhook(secret).verify(body, { ...headers, "webhook-signature": signature });
          return true;
        } catch {
          return false;
        }
      };
      const signatures = headers["webhook-signature"].split(" ").filter(Boolean);
      const delivery: ReceivedWebhook = {
        id: headers["webhook-id"],
        timestamp: Number(headers["webhook-timestamp"]),
        signature: headers["webhook-signature"],
        body,
        payload: safeJson(body),
        verifiedWith: receiver.secrets.findIndex((secret) => verifies(secret, headers["webhook-signature"])),
        signaturesVerified: signatures.map((signature) => receiver.secrets.findIndex((secret) => verifies(secret, signature))),
        receivedAt: Date.now(),
        status: 0,
      };
      const concurrent = (inFlight.get(delivery.id) ?? 0) + 1;
      inFlight.set(delivery.id, concurrent);
      receiver.maxConcurrentPerId = Math.max(receiver.maxConcurrentPerId, concurrent);
      const index = receiver.received.push(delivery) - 1;
      if (receiver.hold) {
        held.add(res);
        res.once("close", () => held.delete(res));
        return;
      }
      const answer = receiver.respond(delivery, index);
      const [status, extra] = Array.isArray(answer) ? answer : [answer, {}];
      delivery.status = status;
      if (receiver.delayMs) await new Promise((resolve) => setTimeout(resolve, receiver.delayMs));
      inFlight.set(delivery.id, (inFlight.get(delivery.id) ?? 1) - 1);
      res.writeHead(status, extra).end("ok");
    });
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = http.createServer(handler);
      server.once("error", reject);
      server.listen(receiver.port, "127.0.0.1", () => {
        receiver.port = (server.address() as AddressInfo).port;
        receiver.url = `http://127.0.0.1:${receiver.port}/hooks`;
        resolve();
      });
    });
  await listen();
  return receiver;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
