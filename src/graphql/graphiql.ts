import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Router, type Request, type Response } from "express";
import { bootScript, pageStyles } from "./graphiql/page-assets";

export interface GraphiQLOptions {
  /** Path of the GraphQL endpoint the page talks to, e.g. "/graphql". */
  endpoint: string;
  /** Headers pre-filled in the headers editor, e.g. { Authorization: "Bearer ey..." }; omit in production. */
  defaultHeaders?: Record<string, string>;
  /** Query shown on first open. */
  defaultQuery?: string;
}

/**
 * What the explorer shows on first open: who am I, and what do I own.
 * Anonymous on purpose: GraphiQL notices a renamed operation only after a debounce,
 * so replacing a named query and running it at once sends the stale name.
 */
export const defaultExplorerQuery = `query {
  viewer {
    accountId
    isAdmin
    domainCount
    domainLimit
  }
  domains(first: 10) {
    nodes {
      id
      name
      status
      txtRecord {
        host
        value
      }
    }
  }
}
`;

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/**
 * Express router: serves the explorer at GET <endpoint> for browsers (Accept prefers text/html)
 * and its assets; calls next() for everything else so Apollo still answers GET queries and POSTs.
 *
 * Works mounted at the application root or at the endpoint itself.
 */
export function graphiqlRouter(options: GraphiQLOptions): Router {
  const endpoint = normalizePath(options.endpoint);
  const assetRoot = `${endpoint === "/" ? "" : endpoint}/graphiql`;
  const assets = new Map<string, Asset>();
  const addAsset = (name: string, body: Buffer, contentType: string): string => {
    const hash = createHash("sha256").update(body).digest("hex");
    // The content hash in the path lets browsers cache for good and still see upgrades.
    const assetPath = `${assetRoot}/${hash.slice(0, 16)}/${name}`;
    assets.set(assetPath, { body, contentType, etag: `"${hash}"` });
    return assetPath;
  };

  const js = "text/javascript; charset=utf-8";
  const css = "text/css; charset=utf-8";
  const scripts = [
    addAsset("react.production.min.js", readPackageFile("react", "umd/react.production.min.js"), js),
    addAsset("react-dom.production.min.js", readPackageFile("react-dom", "umd/react-dom.production.min.js"), js),
    addAsset("graphiql.min.js", readPackageFile("graphiql", "graphiql.min.js"), js),
    // The graphql-ws client, for subscriptions (exposes the global graphqlWs).
    addAsset("graphql-ws.min.js", readPackageFile("graphql-ws", "umd/graphql-ws.min.js"), js),
    addAsset("boot.js", Buffer.from(bootScript), js),
  ];
  const stylesheets = [
    addAsset("graphiql.min.css", readPackageFile("graphiql", "graphiql.min.css"), css),
    addAsset("page.css", Buffer.from(pageStyles), css),
  ];

  const pageOptions = {
    endpoint,
    defaultQuery: options.defaultQuery ?? defaultExplorerQuery,
    // GraphiQL's headers editor holds text, not an object.
    defaultHeaders: options.defaultHeaders ? JSON.stringify(options.defaultHeaders, null, 2) : undefined,
  };

  const router = Router();
  router.use((req, res, next) => {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    const requestPath = normalizePath(req.baseUrl + req.path);
    if (requestPath === endpoint) {
      if (!prefersHtml(req)) return next();
      sendPage(res, { ...pageOptions, styleNonce: randomBytes(16).toString("base64") }, scripts, stylesheets);
      return;
    }
    const asset = assets.get(requestPath);
    if (!asset) return next();
    res.set({
      "Content-Type": asset.contentType,
      "Cache-Control": "public, max-age=31536000, immutable",
      ETag: asset.etag,
      "X-Content-Type-Options": "nosniff",
    });
    res.send(asset.body);
  });
  return router;
}

function sendPage(
  res: Response,
  pageOptions: { endpoint: string; defaultQuery: string; defaultHeaders?: string; styleNonce: string },
  scripts: string[],
  stylesheets: string[],
): void {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dnsproof GraphiQL</title>
<!-- Spares the browser a /favicon.ico request the service does not answer. -->
<link rel="icon" href="data:,">
${stylesheets.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join("\n")}
</head>
<body>
<div id="graphiql">Loading the GraphiQL explorer…</div>
<script type="application/json" id="graphiql-options">${jsonForScriptElement(pageOptions)}</script>
${scripts.map((src) => `<script src="${escapeHtml(src)}"></script>`).join("\n")}
</body>
</html>
`;
  res.set({
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": [
      "default-src 'self'",
      "script-src 'self'",
      `style-src 'self' 'nonce-${pageOptions.styleNonce}'`,
      // GraphiQL's stylesheet embeds its fonts and a few icons as data: URLs.
      "font-src 'self' data:",
      "img-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    // The page can carry a bearer token: keep it out of every cache.
    "Cache-Control": "no-store",
    // The same URL answers JSON to API clients.
    Vary: "Accept",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
  });
  res.send(html);
}

/** Same negotiation as Apollo's landing page, so the two never disagree about who is a browser. */
function prefersHtml(req: Request): boolean {
  if (!req.headers.accept) return false;
  return (
    req.accepts(["application/json", "application/graphql-response+json", "multipart/mixed", "text/html"]) ===
    "text/html"
  );
}

function normalizePath(p: string): string {
  const withSlash = p.startsWith("/") ? p : `/${p}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, "") || "/" : withSlash;
}

/** The packages' `exports` maps hide their UMD bundles from require.resolve; their package.json is allowed. */
function readPackageFile(packageName: string, file: string): Buffer {
  const packageDir = path.dirname(require.resolve(`${packageName}/package.json`));
  return readFileSync(path.join(packageDir, file));
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** HTML entities mean nothing inside <script>; JSON's own escapes keep `</script>` and friends inert. */
function jsonForScriptElement(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
