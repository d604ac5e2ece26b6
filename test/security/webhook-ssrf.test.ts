import http from "node:http";
import type { AddressInfo } from "node:net";
import { isPublicAddress } from "../../src/verification/client/addresses";
import { postWebhook } from "../../src/webhooks/http-client";
import { checkWebhookUrl } from "../../src/webhooks/webhook-url";
import { WebhookDelivery } from "../../src/webhooks/webhook-delivery.entity";
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";
import { WebhookReceiver, startWebhookReceiver } from "../support/webhook-receiver";

/**
 * Webhook URLs cannot reach inside: every special-purpose range is refused, http is refused
 * without WEBHOOK_ALLOW_PRIVATE, host names are judged by every address they resolve to, the
 * connection goes to the address that was checked, redirects are not followed, and slow or
 * endless answers are cut off. Only loopback is ever connected to.
 */

/** One literal from each IANA special-purpose range (IPv4 and IPv6 registries), plus mapped and embedded forms. */
const NOT_PUBLIC = [
  "0.0.0.0", "0.1.2.3", "10.0.0.1", "100.64.0.1", "127.0.0.1", "127.255.255.254", "169.254.169.254", "172.16.0.1", "172.31.255.255",
  "192.0.0.8", "192.0.2.1", "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250",
  "240.0.0.1", "255.255.255.255",
  "::", "::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "64:ff9b::a00:1", "64:ff9b:1::1", "100::1", "2001::1", "2001:2::1", "2001:10::1",
  "2001:20::1", "2001:db8::1", "2002:7f00:1::1", "3fff::1", "5f00::1", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1",
];
const PUBLIC = ["1.1.1.1", "8.8.8.8", "9.9.9.9", "2606:4700:4700::1111", "2a00:1450:4001::1"];

describe("isPublicAddress", () => {
  it.each(NOT_PUBLIC)("refuses %s", (address) => expect(isPublicAddress(address)).toBe(false));
  it.each(PUBLIC)("accepts %s", (address) => expect(isPublicAddress(address)).toBe(true));
  it("refuses what is not an address", () => {
    for (const value of ["", "localhost", "1.2.3", "::g", "01.1.1.1x"]) expect(isPublicAddress(value)).toBe(false);
  });
});

describe("checkWebhookUrl without WEBHOOK_ALLOW_PRIVATE", () => {
  const policy = { allowPrivate: false };
  const resolveTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

  it.each(NOT_PUBLIC)("refuses https://%s", async (address) => {
    const host = address.includes(":") ? `[${address}]` : address;
    expect(await checkWebhookUrl(`https://${host}/hook`, policy, resolveTo("1.1.1.1"))).toMatchObject({ ok: false, message: expect.stringContaining("not a public address") });
  });

  it("refuses http, other schemes, credentials in the URL and single-label hosts", async () => {
    for (const url of ["http://hooks.example.com/x", "ftp://hooks.example.com/", "file:///etc/passwd", "gopher://hooks.example.com", "https://user:pw@hooks.example.com/", "https://intranet/hook", "not a url"]) {
      expect(await checkWebhookUrl(url, policy, resolveTo("1.1.1.1"))).toMatchObject({ ok: false });
    }
  });

  it("refuses a name that resolves to a private address, even beside public ones, and a name that does not resolve", async () => {
    expect(await checkWebhookUrl("https://hooks.example.com/", policy, resolveTo("10.0.0.5"))).toMatchObject({ ok: false, message: expect.stringContaining("10.0.0.5") });
    expect(await checkWebhookUrl("https://hooks.example.com/", policy, resolveTo("1.1.1.1", "::1"))).toMatchObject({ ok: false, message: expect.stringContaining("::1") });
    expect(await checkWebhookUrl("https://hooks.example.com/", policy, async () => Promise.reject(new Error("ENOTFOUND")))).toMatchObject({ ok: false, message: expect.stringContaining("does not resolve") });
    expect(await checkWebhookUrl("https://localhost/", policy)).toMatchObject({ ok: false });
  });

  it("accepts an https URL whose name resolves to public addresses only", async () => {
    expect(await checkWebhookUrl("https://hooks.example.com/x?y=1", policy, resolveTo("1.1.1.1", "2606:4700:4700::1111"))).toMatchObject({ ok: true });
  });
});

describe("postWebhook", () => {
  let server: http.Server;
  let port: number;
  let hits: string[];
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(req.url ?? "");
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    hits = [];
  });
  const open = { allowPrivate: true, timeoutMs: 1000 };

  it("connects to the address the check resolved, not to what the system resolver would say", async () => {
    handler = (_req, res) => res.writeHead(204).end();
    const resolve = async () => [{ address: "127.0.0.1", family: 4 }];
    const outcome = await postWebhook(`http://hooks.invalid:${port}/pinned`, {}, "{}", { ...open, resolve });
    expect(outcome).toMatchObject({ status: 204, error: null });
    expect(hits).toEqual(["/pinned"]);
  });

  it("refuses a name that rebinds to loopback by delivery time without connecting", async () => {
    handler = (_req, res) => res.writeHead(200).end();
    const resolve = async () => [{ address: "127.0.0.1", family: 4 }];
    const outcome = await postWebhook(`https://rebinding.example.com:${port}/x`, {}, "{}", { allowPrivate: false, timeoutMs: 1000, resolve });
    expect(outcome).toMatchObject({ status: null, error: expect.stringContaining("not a public address") });
    expect(hits).toEqual([]);
  });

  it("does not follow redirects", async () => {
    handler = (req, res) => (req.url === "/start" ? res.writeHead(302, { location: `http://127.0.0.1:${port}/inside` }).end() : res.writeHead(200).end());
    const outcome = await postWebhook(`http://127.0.0.1:${port}/start`, {}, "{}", open);
    expect(outcome).toMatchObject({ status: 302, error: expect.stringContaining("redirects are not followed") });
    expect(hits).toEqual(["/start"]);
  });

  it("gives up after WEBHOOK_TIMEOUT_MS", async () => {
    handler = () => undefined;
    const started = Date.now();
    const outcome = await postWebhook(`http://127.0.0.1:${port}/slow`, {}, "{}", { ...open, timeoutMs: 300 });
    expect(outcome).toMatchObject({ status: null, error: "No answer within 300 ms." });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("reads at most a few KB of an endless answer", async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      const chunk = "x".repeat(1024);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    };
    const outcome = await postWebhook(`http://127.0.0.1:${port}/endless`, {}, "{}", { ...open, timeoutMs: 5000 });
    expect(outcome).toMatchObject({ status: 200, error: null });
    expect(outcome.durationMs).toBeLessThan(1000);
  });
});

describe.each(DATABASE_FLAVORS)("webhook URLs through the API on %s", (db) => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  const CREATE = `mutation($url: String!) { createWebhookEndpoint(input: { url: $url }) { webhookEndpoint { id } userErrors { code field message } } }`;
  const UPDATE = `mutation($id: ID!, $url: String!) { updateWebhookEndpoint(input: { id: $id, url: $url }) { userErrors { code } } }`;
  // Names answer a public address only while endpoints are created; the worker is driven by hand and only
  // after `rebinding` is set, when every name resolves to loopback: nothing but loopback is ever connected to.
  let rebinding = false;
  const webhookResolve = async (hostname: string) => {
    if (rebinding) return [{ address: "127.0.0.1", family: 4 }];
    if (hostname === "hooks.example.com" || hostname === "rebinding.example.com") return [{ address: "1.1.1.1", family: 4 }];
    throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    t = await startTestApp({ db, env: { NODE_ENV: "production", WEBHOOK_RETRY_SECONDS: "60", WEBHOOK_WORKER_ENABLED: "false" }, overrides: { webhookResolve } });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.stop();
  });

  it("answers INVALID_URL for http, private literals and names resolving inside, in production", async () => {
    for (const url of [receiver.url, receiver.url.replace("http:", "https:"), "https://[::1]/", "https://169.254.169.254/latest/meta-data", "https://[::ffff:7f00:1]/", "https://10.1.2.3/", "https://nowhere.example.com/"]) {
      const result = (await t.gql(CREATE, { url })).body.data.createWebhookEndpoint;
      expect(result).toMatchObject({ webhookEndpoint: null, userErrors: [{ code: "INVALID_URL", field: ["input", "url"] }] });
    }
    const ok = (await t.gql(CREATE, { url: "https://hooks.example.com/dnsproof" })).body.data.createWebhookEndpoint;
    expect(ok.userErrors).toEqual([]);
    expect((await t.gql(UPDATE, { id: ok.webhookEndpoint.id, url: "https://127.0.0.1/" })).body.data.updateWebhookEndpoint.userErrors).toEqual([{ code: "INVALID_URL" }]);
  });

  it("never connects when a name accepted at creation resolves to loopback at delivery time", async () => {
    rebinding = false;
    const token = await t.token("ssrf-rebinding");
    const created = (await t.gql(CREATE, { url: "https://rebinding.example.com/hook" }, { token })).body.data.createWebhookEndpoint;
    expect(created.userErrors).toEqual([]);
    rebinding = true;
    await t.app.deliveryWorker.runOnce();
    const id = Buffer.from(created.webhookEndpoint.id, "base64url").toString().split(":")[1];
    const delivery = await t.app.dataSource.manager.findOneBy(WebhookDelivery, { endpointId: id });
    expect(delivery).toMatchObject({ attempts: 1, status: "PENDING", lastResponseStatus: null, lastError: expect.stringContaining("127.0.0.1, which is not a public address") });
    expect(receiver.received).toEqual([]);
  });
});
