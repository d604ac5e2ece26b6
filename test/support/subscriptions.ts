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

/** A real graphql-ws client over ws, for tests: connects to `${url}/graphql` with `authorization` as connectionParams.Authorization. */
export function connectSubscriber(url: string, authorization: string | null): { subscribe(query: string, variables?: Record<string, unknown>): Subscriber; client: Client; closed: Promise<{ code: number; reason: string }>; connected: Promise<void> } {
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
    webSocketImpl: WebSocket,
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
