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
  /** The whole attempt, connecting included (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  resolve?: Resolve;
}

/** At most this much of an answer is read; receivers are told to answer with a status, not a document. */
export const MAX_RESPONSE_BYTES = 4096;

/**
 * POSTs one delivery without ever reaching where it should not: the URL is checked again
 * (it may have been stored under other rules), the host name is resolved once and the
 * connection goes to the address that passed the check (a custom lookup, so DNS rebinding
 * between check and connect is impossible), redirects are not followed, and the answer is
 * read up to MAX_RESPONSE_BYTES within the timeout.
 */
export async function postWebhook(rawUrl: string, headers: Record<string, string>, body: string, options: WebhookClientOptions): Promise<PostOutcome> {
  const started = Date.now();
  const done = (status: number | null, error: string | null): PostOutcome => ({ status, error, durationMs: Date.now() - started });
  const shape = checkUrlShape(rawUrl, options);
  if (!shape.ok) return done(null, shape.message);
  const url = shape.url;

  let lookup: LookupFunction | undefined;
  if (!ipLiteral(url)) {
    const resolved = await permittedAddresses(url.hostname, options, options.resolve ?? systemResolve);
    if (!resolved.ok) return done(null, resolved.message);
    const addresses = resolved.addresses;
    lookup = ((_hostname: string, lookupOptions: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      if (lookupOptions?.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    }) as unknown as LookupFunction;
  }

  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const finish = (status: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(done(status, error));
    };
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
        const verdict = () =>
          status >= 200 && status < 300
            ? null
            : status >= 300 && status < 400
              ? `The endpoint answered ${status} (a redirect); redirects are not followed.`
              : `The endpoint answered ${status}.`;
        let read = 0;
        response.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read >= MAX_RESPONSE_BYTES) finish(status, verdict());
        });
        response.on("end", () => finish(status, verdict()));
        response.on("error", () => finish(status, verdict()));
      },
    );
    const timer = setTimeout(() => finish(null, `No answer within ${options.timeoutMs} ms.`), options.timeoutMs);
    request.on("error", (error: NodeJS.ErrnoException) => finish(null, describeNetworkError(error)));
    request.end(body);
  });
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
