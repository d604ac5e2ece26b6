import { TestApp, startTestApp } from "../support/test-app";
import { RawSocket, connectSubscriber, openRawSocket } from "../support/subscriptions";

/**
 * Holding WebSocket connections open: per client address (before any authentication), per
 * account, and connections left idle; and frames far larger than any request body.
 */
const SUBSCRIBE = `subscription { auditEntryAdded { id } }`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("WebSocket connections are capped", () => {
  let t: TestApp;
  const sockets: RawSocket[] = [];
  beforeAll(async () => {
    t = await startTestApp({
      env: { WS_MAX_CONNECTIONS_PER_ADDRESS: "4", WS_MAX_CONNECTIONS_PER_ACCOUNT: "2", WS_IDLE_TIMEOUT_MS: "600", WEBHOOK_WORKER_ENABLED: "false" },
    });
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.ws.terminate();
    await pause(100);
  });
  afterAll(async () => t?.close());
  const open = (headers?: Record<string, string>) => {
    const socket = openRawSocket(t.url, { headers });
    sockets.push(socket);
    return socket;
  };

  it("per client address, before any authentication, whatever X-Forwarded-For says when no proxy is trusted", async () => {
    const held = [open(), open(), open(), open()];
    await Promise.all(held.map((s) => s.opened));
    // Each claims another address: without TRUST_PROXY the header is not believed.
    const refused = await Promise.all([open({ "x-forwarded-for": "10.0.0.1" }), open({ "x-forwarded-for": "10.0.0.2" })].map((s) => s.refusedStatus));
    expect(refused).toEqual([429, 429]);

    // A closed connection gives its place back (once the server has seen its socket close).
    held[0].ws.close();
    await held[0].closed;
    let reopened = false;
    for (let i = 0; i < 20 && !reopened; i++) {
      await pause(100);
      reopened = await open().opened.then(() => true, () => false);
    }
    expect(reopened).toBe(true);
  });

  it("per account, once authenticated", async () => {
    const token = await t.token("ws-many");
    const first = connectSubscriber(t.url, `Bearer ${token}`);
    const second = connectSubscriber(t.url, `Bearer ${token}`);
    await Promise.all([first.connected, second.connected]);
    first.subscribe(SUBSCRIBE);
    second.subscribe(SUBSCRIBE);
    const third = connectSubscriber(t.url, `Bearer ${token}`);
    const { code, reason } = await third.closed;
    expect(code).toBe(4429);
    expect(reason).toContain("WS_MAX_CONNECTIONS_PER_ACCOUNT");

    // Another account is not held back by this one.
    const other = connectSubscriber(t.url, `Bearer ${await t.token("ws-other")}`);
    await expect(other.connected).resolves.toBeUndefined();
    await Promise.all([first.client.dispose(), second.client.dispose(), other.client.dispose()]);
  });

  it("closes a connection that runs no subscription, and keeps one that does", async () => {
    const token = await t.token("ws-idle");
    const idle = open();
    await idle.opened;
    idle.send({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } });
    await idle.waitFor("connection_ack");
    const busy = open();
    await busy.opened;
    busy.send({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } });
    await busy.waitFor("connection_ack");
    busy.send({ id: "1", type: "subscribe", payload: { query: SUBSCRIBE } });

    const started = Date.now();
    const { code } = await idle.closed;
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeLessThan(5000);
    await pause(1000);
    expect(busy.ws.readyState).toBe(busy.ws.OPEN);

    // Ending its last subscription makes a connection idle again.
    busy.send({ id: "1", type: "complete" });
    expect((await busy.closed).code).toBe(4408);
  });
});

describe("WebSocket connections behind a trusted proxy", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: "loopback", WS_MAX_CONNECTIONS_PER_ADDRESS: "2", WEBHOOK_WORKER_ENABLED: "false" } });
  });
  afterAll(async () => t?.close());

  it("count the client address the proxy names, as req.ip does on HTTP", async () => {
    const a = [openRawSocket(t.url, { headers: { "x-forwarded-for": "203.0.113.7" } }), openRawSocket(t.url, { headers: { "x-forwarded-for": "203.0.113.7" } })];
    await Promise.all(a.map((s) => s.opened));
    expect(await openRawSocket(t.url, { headers: { "x-forwarded-for": "203.0.113.7" } }).refusedStatus).toBe(429);
    const b = openRawSocket(t.url, { headers: { "x-forwarded-for": "203.0.113.8" } });
    await expect(b.opened).resolves.toBeUndefined();
    for (const socket of [...a, b]) socket.ws.terminate();
  });
});

describe("WebSocket frames", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_WORKER_ENABLED: "false" } });
  });
  afterAll(async () => t?.close());

  it("are refused past the HTTP body limit (GRAPHQL_MAX_BODY_BYTES), before they are parsed", async () => {
    const token = await t.token("ws-frames");
    const socket = openRawSocket(t.url);
    await socket.opened;
    // A valid connection_init, padded to 1 MiB: ten times the body limit.
    socket.send({ type: "connection_init", payload: { Authorization: `Bearer ${token}`, padding: "x".repeat(1024 * 1024) } });
    const { code } = await socket.closed;
    expect(code).toBe(1009);
    expect(socket.messages).toEqual([]);

    // A frame within the limit is served.
    const normal = openRawSocket(t.url);
    await normal.opened;
    normal.send({ type: "connection_init", payload: { Authorization: `Bearer ${token}`, padding: "x".repeat(50 * 1024) } });
    await expect(normal.waitFor("connection_ack")).resolves.toEqual({ type: "connection_ack" });
    normal.ws.terminate();
  });
});
