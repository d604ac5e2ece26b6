import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { Resolve, WebhookTargetPolicy, checkUrlShape, ipLiteral, permittedAddresses, systemResolve } from "./webhook-url";

export interface PostOutcome {
  /** HTTP status of the answer; null when none came. */
  status: number | null;
  /** Why the attempt failed, in words; null for a 2xx. */
  error: string | null;
  durationMs: number;
}

export interface WebhookClientOptions extends WebhookTargetPolicy {
  /** The whole attempt, resolving the host name and connecting included (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  resolve?: Resolve;
}

/** At most this much of an answer is read; receivers are told to answer with a status, not a document. */
export const MAX_RESPONSE_BYTES = 4096;

type Verdict = { status: number | null; error: string | null };

/**
 * POSTs one delivery without ever reaching where it should not: the URL is checked again
 * (it may have been stored under other rules), the host name is resolved once and the
 * connection goes to the address that passed the check (a custom lookup, so DNS rebinding
 * between check and connect is impossible), redirects are not followed, and the answer is
 * read up to MAX_RESPONSE_BYTES. One deadline covers all of it, the lookup included: a name
 * that never answers costs an attempt no more than a receiver that never answers.
 */
export async function postWebhook(rawUrl: string, headers: Record<string, string>, body: string, options: WebhookClientOptions): Promise<PostOutcome> {
  const started = Date.now();
  const done = ({ status, error }: Verdict): PostOutcome => ({ status, error, durationMs: Date.now() - started });
  const shape = checkUrlShape(rawUrl, options);
  if (!shape.ok) return done({ status: null, error: shape.message });
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const timedOut: Verdict = { status: null, error: `No answer within ${options.timeoutMs} ms.` };
  try {
    const lookup = await pinnedLookup(shape.url, options, deadline.signal);
    if (deadline.signal.aborted) return done(timedOut);
    if (!lookup.ok) return done({ status: null, error: lookup.message });
    return done(await send(shape.url, lookup.lookup, headers, body, deadline.signal, timedOut));
  } finally {
    clearTimeout(timer);
  }
}

/** The lookup the connection uses: only the addresses that passed the check (none for an IP literal). */
async function pinnedLookup(
  url: URL,
  options: WebhookClientOptions,
  signal: AbortSignal,
): Promise<{ ok: true; lookup: LookupFunction | undefined } | { ok: false; message: string }> {
  if (ipLiteral(url)) return { ok: true, lookup: undefined };
  const resolved = await permittedAddresses(url.hostname, options, options.resolve ?? systemResolve, signal);
  if (!resolved.ok) return resolved;
  const addresses = resolved.addresses;
  const lookup = ((_hostname: string, lookupOptions: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (lookupOptions?.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  }) as unknown as LookupFunction;
  return { ok: true, lookup };
}

function send(url: URL, lookup: LookupFunction | undefined, headers: Record<string, string>, body: string, signal: AbortSignal, timedOut: Verdict): Promise<Verdict> {
  return new Promise<Verdict>((resolve) => {
    let settled = false;
    const finish = (verdict: Verdict) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onDeadline);
      request.destroy();
      resolve(verdict);
    };
    const onDeadline = () => finish(timedOut);
    const transport = url.protocol === "https:" ? https : http;
    const request = transport.request(
      url,
      {
        method: "POST",
        agent: false,
        lookup,
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body), "user-agent": "dnsproof-webhooks" },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const verdict = (): Verdict => ({ status, error: describeStatus(status) });
        let read = 0;
        response.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read >= MAX_RESPONSE_BYTES) finish(verdict());
        });
        response.on("end", () => finish(verdict()));
        response.on("error", () => finish(verdict()));
      },
    );
    signal.addEventListener("abort", onDeadline, { once: true });
    request.on("error", (error: NodeJS.ErrnoException) => finish({ status: null, error: describeNetworkError(error) }));
    request.end(body);
  });
}

function describeStatus(status: number): string | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400) return `The endpoint answered ${status} (a redirect); redirects are not followed.`;
  return `The endpoint answered ${status}.`;
}

function describeNetworkError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return "The connection was refused.";
    case "ECONNRESET":
      return "The connection was reset.";
    case "ENOTFOUND":
      return "The host name does not resolve.";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "The host cannot be reached.";
    default:
      if (error.code?.startsWith("ERR_TLS") || /certificate|SSL|TLS/i.test(error.message)) return `TLS failed: ${error.message}`;
      return `The request failed (${error.code ?? error.message}).`;
  }
}
