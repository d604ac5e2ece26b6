import dns from "node:dns";
import net from "node:net";
import { isPublicAddress } from "../verification/client/addresses";

/** What a webhook URL may point at (WEBHOOK_ALLOW_PRIVATE). */
export interface WebhookTargetPolicy {
  /** Allows http and private, loopback or other special-purpose addresses: tests and closed networks only. */
  allowPrivate: boolean;
}

/** A host name's addresses; `signal` aborts the lookup when the attempt's deadline passes. */
export type Resolve = (hostname: string, signal?: AbortSignal) => Promise<{ address: string; family: number }[]>;

/** getaddrinfo: only for direct callers outside the server; the server resolves with webhookDnsResolve. */
export const systemResolve: Resolve = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** Where and how long webhook host names are looked up (WEBHOOK_DNS_SERVERS, WEBHOOK_DNS_TIMEOUT_MS). */
export interface WebhookDnsOptions {
  /** "ip:port" resolvers; empty: the system's (resolv.conf). */
  dnsServers: string[];
  dnsTimeoutMs: number;
}

/**
 * A and AAAA through c-ares, each lookup bounded by `dnsTimeoutMs` and cancelled with the
 * attempt. Not getaddrinfo: that runs on libuv's small thread pool with the system's
 * timeouts, so a few names that never answer would hold every other lookup (and file and
 * crypto work) of the process behind them.
 */
export function webhookDnsResolve(options: WebhookDnsOptions): Resolve {
  return async (hostname, signal) => {
    const resolver = new dns.promises.Resolver({ timeout: options.dnsTimeoutMs, tries: 1 });
    if (options.dnsServers.length > 0) resolver.setServers(options.dnsServers);
    const cancel = () => resolver.cancel();
    // c-ares' own timeout is per query try; this one bounds the whole lookup whatever it does.
    const timer = setTimeout(cancel, options.dnsTimeoutMs);
    signal?.addEventListener("abort", cancel, { once: true });
    try {
      const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
      const addresses = [
        ...(v4.status === "fulfilled" ? v4.value.map((address) => ({ address, family: 4 })) : []),
        ...(v6.status === "fulfilled" ? v6.value.map((address) => ({ address, family: 6 })) : []),
      ];
      if (addresses.length === 0 && v4.status === "rejected") throw v4.reason;
      return addresses;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", cancel);
    }
  };
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; message: string };

/** The width of webhook_endpoints.url. */
export const MAX_URL_LENGTH = 2048;

/** The URL's host as an address when it is an IP literal ([v6] loses its brackets), else null. */
export function ipLiteral(url: URL): string | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return net.isIP(host) ? host : null;
}

/** Scheme, shape and (for IP literals) address; names are resolved by checkWebhookUrl. */
export function checkUrlShape(raw: string, policy: WebhookTargetPolicy): UrlCheck {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, message: `The URL is longer than ${MAX_URL_LENGTH} characters.` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: "That is not a URL; give an absolute https:// URL." };
  }
  // What is stored is the normalised form, and percent-encoding can make it several times longer than what was sent.
  if (url.href.length > MAX_URL_LENGTH) {
    return { ok: false, message: `The URL is ${url.href.length} characters long once normalised (characters outside ASCII are percent-encoded); at most ${MAX_URL_LENGTH} are kept.` };
  }
  const schemes = policy.allowPrivate ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol)) return { ok: false, message: "Webhook URLs must start with https://." };
  if (url.username || url.password) return { ok: false, message: "Webhook URLs may not carry a user name or password." };
  if (!url.hostname) return { ok: false, message: "The URL has no host." };
  const literal = ipLiteral(url);
  if (literal && !policy.allowPrivate && !isPublicAddress(literal)) {
    return { ok: false, message: `${literal} is not a public address; webhooks are only sent to the public internet.` };
  }
  if (!literal && !policy.allowPrivate && !url.hostname.includes(".")) {
    return { ok: false, message: `"${url.hostname}" is not a public host name.` };
  }
  return { ok: true, url };
}

/** The addresses a host name may be connected to, or why none may: every address it resolves to must be public. */
export async function permittedAddresses(
  hostname: string,
  policy: WebhookTargetPolicy,
  resolve: Resolve,
  signal?: AbortSignal,
): Promise<{ ok: true; addresses: { address: string; family: number }[] } | { ok: false; message: string }> {
  let addresses: { address: string; family: number }[];
  try {
    addresses = await resolve(hostname, signal);
  } catch (error) {
    const timedOut = ["ETIMEOUT", "ECANCELLED"].includes((error as NodeJS.ErrnoException)?.code ?? "");
    return { ok: false, message: timedOut ? `${hostname} did not resolve in time.` : `${hostname} does not resolve.` };
  }
  if (addresses.length === 0) return { ok: false, message: `${hostname} does not resolve.` };
  if (!policy.allowPrivate) {
    // One private address among public ones is refused too: which one a client picks is not ours to predict.
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) return { ok: false, message: `${hostname} resolves to ${refused.address}, which is not a public address.` };
  }
  return { ok: true, addresses };
}

/** Everything checked at creation and on each update: shape, scheme, and where the host resolves now. */
export async function checkWebhookUrl(raw: string, policy: WebhookTargetPolicy, resolve: Resolve = systemResolve): Promise<UrlCheck> {
  const shape = checkUrlShape(raw, policy);
  if (!shape.ok || ipLiteral(shape.url)) return shape;
  const resolved = await permittedAddresses(shape.url.hostname, policy, resolve);
  return resolved.ok ? shape : resolved;
}
