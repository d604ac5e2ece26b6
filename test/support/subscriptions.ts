import { createClient, Client } from "graphql-ws";
import WebSocket from "ws";

export interface Subscriber {
  client: Client;
  /** Every `next` payload's data, in arrival order. */
  received: any[];
  errors: unknown[];
  completed: boolean;
  /** The socket's close code, once closed. */
  closeCode: number | null;
  closeReason: string | null;
  waitFor(predicate: (received: any[]) => boolean, timeoutMs?: number): Promise<any[]>;
  /** Resolves once the server acknowledged the connection, or rejects with its close code. */
  connected: Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A real graphql-ws client over ws, for tests: connects to `${url}/graphql` with `authorization` as
 * connectionParams.Authorization, and `headers` on the upgrade request (X-Forwarded-For, say).
 */
export function connectSubscriber(url: string, authorization: string | null, options: { headers?: Record<string, string> } = {}): { subscribe(query: string, variables?: Record<string, unknown>): Subscriber; client: Client; closed: Promise<{ code: number; reason: string }>; connected: Promise<void> } {
  let resolveClosed!: (value: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClosed = resolve));
  let resolveConnected!: () => void;
  let rejectConnected!: (error: unknown) => void;
  const connected = new Promise<void>((resolve, reject) => {
    resolveConnected = resolve;
    rejectConnected = reject;
  });
  connected.catch(() => undefined);
  const subscribers: Subscriber[] = [];
  const client = createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: options.headers ? withHeaders(options.headers) : WebSocket,
    connectionParams: authorization ? { Authorization: authorization } : {},
    retryAttempts: 0,
    lazy: false,
    on: {
      connected: () => resolveConnected(),
      closed: (event: any) => {
        for (const s of subscribers) {
          s.closeCode = event?.code ?? null;
          s.closeReason = event?.reason ?? null;
        }
        rejectConnected(new Error(`closed ${event?.code}`));
        resolveClosed({ code: event?.code, reason: String(event?.reason ?? "") });
      },
    },
    onNonLazyError: () => undefined,
  });
  return {
    client,
    closed,
    connected,
    subscribe(query: string, variables: Record<string, unknown> = {}) {
      const subscriber: Subscriber = {
        client,
        received: [],
        errors: [],
        completed: false,
        closeCode: null,
        closeReason: null,
        connected,
        async waitFor(predicate, timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs;
          while (!predicate(subscriber.received)) {
            if (Date.now() > deadline) {
              throw new Error(`subscription: condition not met within ${timeoutMs} ms; got ${JSON.stringify(subscriber.received)} errors ${JSON.stringify(subscriber.errors)}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          return subscriber.received;
        },
        async dispose() {
          unsubscribe();
        },
      };
      subscribers.push(subscriber);
      const unsubscribe = client.subscribe(
        { query, variables },
        {
          next: (value: any) => {
            if (value.errors) subscriber.errors.push(...value.errors);
            if (value.data) subscriber.received.push(value.data);
          },
          error: (error) => subscriber.errors.push(error),
          complete: () => {
            subscriber.completed = true;
          },
        },
      );
      return subscriber;
    },
  };
}

/** ws with headers on its upgrade request, as graphql-ws's webSocketImpl (which it constructs with url and protocol only). */
function withHeaders(headers: Record<string, string>) {
  return class extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  };
}

export interface RawSocket {
  ws: WebSocket;
  /** Every message the server sent, parsed. */
  messages: any[];
  /** Resolves when the upgrade succeeded; rejects with the HTTP status when it was refused. */
  opened: Promise<void>;
  /** The refused upgrade's HTTP status, once known. */
  refusedStatus: Promise<number>;
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** Waits for a message of `type` (e.g. "connection_ack"). */
  waitFor(type: string, timeoutMs?: number): Promise<any>;
}

/** A bare graphql-transport-ws socket, for sending what a well-behaved client never would (huge frames, no subscription). */
export function openRawSocket(url: string, options: { headers?: Record<string, string> } = {}): RawSocket {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", { headers: options.headers });
  const messages: any[] = [];
  ws.on("message", (data) => messages.push(JSON.parse(String(data))));
  const refusedStatus = new Promise<number>((resolve) => ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    refusedStatus.then((status) => reject(new Error(`upgrade refused: ${status}`)));
  });
  opened.catch(() => undefined);
  // A refused upgrade also reports an error; the status above is what tests look at.
  ws.on("error", () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: String(reason) })));
  return {
    ws,
    messages,
    opened,
    refusedStatus,
    closed,
    send: (message) => ws.send(typeof message === "string" ? message : JSON.stringify(message)),
    async waitFor(type, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.type === type);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no ${type} within ${timeoutMs} ms; got ${JSON.stringify(messages).slice(0, 500)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
