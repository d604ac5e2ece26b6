import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { defaultExplorerQuery, graphiqlRouter, type GraphiQLOptions } from "../../src/graphql/graphiql";
import { startTestApp } from "../support/test-app";

interface RunningServer {
  origin: string;
  /** The development bearer token the explorer should pre-fill. */
  token: string;
  close(): Promise<void>;
}

/** The real service in development mode: a development secret is made and its token pre-filled. */
async function startServer(): Promise<RunningServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dnsproof-graphiql-app-"));
  const t = await startTestApp({ env: { NODE_ENV: "development", JWT_SECRET: "", DEV_SECRET_FILE: path.join(dir, "dev-secret") } });
  return {
    origin: t.url,
    token: t.app.devToken!,
    close: async () => {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A query the server above answers, and what its answer must contain. */
const probeQuery = "{ viewer { accountId } }";
const probeAnswer = '"accountId": "dev-account"';

const chromiumFlags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  // Even a request the page should never make cannot reach anything but loopback.
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
];

jest.setTimeout(90_000);

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe("GraphiQL explorer in Chromium", () => {
  let profileDir: string;
  let context: BrowserContext;
  let page: Page;
  const requests: { url: string; method: string; headers: Record<string, string> }[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    profileDir = await mkdtemp(path.join(os.tmpdir(), "dnsproof-graphiql-chromium-"));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: chromiumFlags,
      viewport: { width: 1280, height: 800 },
    });
    context.on("request", (request) =>
      requests.push({ url: request.url(), method: request.method(), headers: request.headers() }),
    );
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  });

  afterAll(async () => {
    await context?.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  const editorValue = (selector: string) =>
    page.$eval(selector, (element) => (element as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
  const queryEditor = ".graphiql-query-editor .CodeMirror";
  // The tool pane holds the variables and headers editors and hides the inactive one.
  const headersTabActive = '.graphiql-editor-tools button[data-name="headers"].active';
  const visibleToolEditor = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror";
  const responseEditor = ".graphiql-response .CodeMirror";

  it("opens the explorer with the default query and the bearer token pre-filled", async () => {
    const response = await page.goto(`${server.origin}/graphql`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector(queryEditor);
    expect(await page.title()).toBe("dnsproof GraphiQL");
    expect(await editorValue(queryEditor)).toBe(defaultExplorerQuery);

    await page.waitForSelector(headersTabActive);
    expect(JSON.parse(await editorValue(visibleToolEditor))).toEqual({ Authorization: `Bearer ${server.token}` });
  });

  it("runs a query from the run button and shows the server's answer", async () => {
    await page.$eval(
      queryEditor,
      (element, query) => (element as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(query),
      probeQuery,
    );
    await page.click(".graphiql-execute-button");
    await page.waitForFunction(
      ([selector, answer]) => {
        // Runs in the page; the test's own tsconfig has no DOM types.
        const { document } = globalThis as unknown as { document: { querySelector(s: string): unknown } };
        const element = document.querySelector(selector) as { CodeMirror?: { getValue(): string } } | null;
        return element?.CodeMirror?.getValue().includes(answer) ?? false;
      },
      [responseEditor, probeAnswer] as const,
    );
    await page.screenshot({ path: "/tmp/graphiql.png" });

    const posts = requests.filter((r) => r.method === "POST" && new URL(r.url).pathname === "/graphql");
    expect(posts.length).toBeGreaterThan(0);
    // Every POST (schema introspection too) carries the token from the headers editor.
    for (const post of posts) expect(post.headers.authorization).toBe(`Bearer ${server.token}`);
  });

  it("runs a subscription over WebSocket with the headers editor's token and shows entries as they are written", async () => {
    const setQuery = (query: string) =>
      page.$eval(queryEditor, (element, q) => (element as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(q), query);
    const sockets: string[] = [];
    page.on("websocket", (socket) => sockets.push(socket.url()));
    await setQuery("subscription { auditEntryAdded { action domainName } }");
    // GraphiQL reads the editor after a debounce.
    await page.waitForTimeout(500);
    await page.click(".graphiql-execute-button");
    await page.waitForFunction(() => {
      const { document } = globalThis as unknown as { document: { querySelector(s: string): unknown } };
      return document.querySelector(".graphiql-execute-button") !== null;
    });
    // The socket opens asynchronously; writes keep coming until one shows up in the response editor.
    const name = `explorer-${process.pid}.example.com`;
    const deadline = Date.now() + 20_000;
    let shown = false;
    for (let i = 0; !shown && Date.now() < deadline; i++) {
      await fetch(`${server.origin}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
        body: JSON.stringify({ query: `mutation($n: String!) { claimDomain(input: { name: $n }) { domain { id } } }`, variables: { n: `${i}-${name}` } }),
      });
      shown = await page
        .waitForFunction(
          ([selector, answer]) => {
            const { document } = globalThis as unknown as { document: { querySelector(s: string): unknown } };
            const element = document.querySelector(selector) as { CodeMirror?: { getValue(): string } } | null;
            return element?.CodeMirror?.getValue().includes(answer) ?? false;
          },
          [responseEditor, name] as const,
          { timeout: 1000 },
        )
        .then(() => true, () => false);
    }
    expect(shown).toBe(true);
    expect(await editorValue(responseEditor)).toContain('"action": "DOMAIN_CLAIMED"');
    expect(sockets).toEqual([`${server.origin.replace("http", "ws")}/graphql`]);
    // Stop it, so the page is quiet for the next tests.
    await page.click(".graphiql-execute-button");
    await setQuery(probeQuery);
  });

  it("opens a dialog without tripping the style policy", async () => {
    // GraphiQL's dialogs inject a <style> element: the one thing the nonce in style-src is for.
    await page.click('button[aria-label="Open settings dialog"]');
    await page.waitForSelector('[role="dialog"]');
    expect(await page.$$eval("style[nonce]", (styles) => styles.length)).toBeGreaterThan(0);
    await page.keyboard.press("Escape");
    await page.waitForSelector('[role="dialog"]', { state: "detached" });
  });

  it("keeps the token pre-filled after a reload, when GraphiQL restores its tabs", async () => {
    await page.reload();
    await page.waitForSelector(headersTabActive);
    expect(JSON.parse(await editorValue(visibleToolEditor))).toEqual({ Authorization: `Bearer ${server.token}` });
  });

  it("made every request to the local origin and logged no console errors", () => {
    expect(requests.length).toBeGreaterThan(0);
    const elsewhere = requests
      .map((r) => r.url)
      .filter((url) => !url.startsWith("data:") && new URL(url).origin !== server.origin && new URL(url).origin !== server.origin.replace("http", "ws"));
    expect(elsewhere).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

describe("GET /graphql for clients that are not browsers", () => {
  it("falls through to Apollo for Accept: application/json", async () => {
    const response = await fetch(`${server.origin}/graphql?query=${encodeURIComponent(probeQuery)}`, {
      headers: { accept: "application/json", "apollo-require-preflight": "true", authorization: `Bearer ${server.token}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { viewer: { accountId: "dev-account" } } });
  });

  it("falls through to Apollo for curl's default Accept: */*", async () => {
    // Without a preflight header Apollo's CSRF guard answers: proof the request reached Apollo.
    const response = await fetch(`${server.origin}/graphql?query=${encodeURIComponent(probeQuery)}`, {
      headers: { accept: "*/*" },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/);
  });

  it("leaves POSTs to Apollo", async () => {
    const response = await fetch(`${server.origin}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ query: probeQuery }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { viewer: { accountId: "dev-account" } } });
  });
});

describe("the explorer page's HTTP contract", () => {
  const fetchPage = (origin: string) => fetch(`${origin}/graphql`, { headers: { accept: "text/html" } });

  it("forbids anything but its own origin and keeps the token out of caches", async () => {
    const response = await fetchPage(server.origin);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");

    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script>/);
    expect(html).not.toMatch(/\son\w+=/);
  });

  it("serves its assets with long-lived caching", async () => {
    const html = await (await fetchPage(server.origin)).text();
    const assetPaths = [...html.matchAll(/(?:src|href)="(\/graphql\/graphiql\/[^"]+)"/g)].map((m) => m[1]);
    expect(assetPaths.map((p) => path.posix.basename(p)).sort()).toEqual([
      "boot.js",
      "graphiql.min.css",
      "graphiql.min.js",
      "graphql-ws.min.js",
      "page.css",
      "react-dom.production.min.js",
      "react.production.min.js",
    ]);
    for (const assetPath of assetPaths) {
      const response = await fetch(`${server.origin}${assetPath}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toContain("immutable");
      expect(response.headers.get("content-type")).toMatch(assetPath.endsWith(".css") ? /^text\/css/ : /^text\/javascript/);
    }
  });

  it("keeps hostile header values inert in the page", async () => {
    const hostile = `</script><script>alert(1)</script><!-- & "quoted" \u2028`;
    const options: GraphiQLOptions = { endpoint: "/graphql", defaultHeaders: { Authorization: hostile } };
    const app = express().use(graphiqlRouter(options));
    const httpServer = http.createServer(app);
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = httpServer.address() as AddressInfo;
      const html = await (await fetchPage(`http://127.0.0.1:${port}`)).text();
      expect(html).not.toContain("<script>alert(1)");
      const block = /<script type="application\/json" id="graphiql-options">([^<]*)<\/script>/.exec(html);
      expect(block).not.toBeNull();
      expect(JSON.parse(JSON.parse(block![1]).defaultHeaders)).toEqual({ Authorization: hostile });
    } finally {
      await new Promise((resolve) => httpServer.close(resolve));
    }
  });
});
