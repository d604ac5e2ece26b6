import { isIPv4, isIPv6 } from "node:net";
import { boolean, httpUrl, integer, Invalid, list, text, type Parser } from "./parsers";
import { readSetting, section, setting, Problems, type Env } from "./setting";
import type { Config } from "./types";

const environmentName: Parser<Config["env"]> = {
  accepts: "`production`, `development` or `test`",
  parse: (raw) => (raw === "production" ? "production" : raw === "test" ? "test" : "development"),
};

/**
 * TRUST_PROXY: "true" trusts every hop (only behind a proxy that all traffic passes), a number
 * trusts that many hops, anything else is Express's list of addresses, subnets or names
 * (loopback, linklocal, uniquelocal). Unset trusts none: X-Forwarded-For is ignored.
 */
const trustProxy: Parser<boolean | number | string> = {
  accepts: "`true`, a hop count, or comma-separated addresses, subnets, `loopback`, `linklocal`, `uniquelocal`",
  parse(raw) {
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    if (/^(true|yes|on)$/i.test(raw)) return true;
    if (/^\d+$/.test(raw)) return Number(raw);
    for (const entry of raw.split(",").map((e) => e.trim())) {
      if (!/^(loopback|linklocal|uniquelocal)$/.test(entry) && !isAddressOrSubnet(entry)) {
        return new Invalid(`TRUST_PROXY must be true, a hop count, or addresses, subnets, loopback, linklocal or uniquelocal; got "${entry}"`);
      }
    }
    return raw;
  },
};

/** "192.0.2.7", "192.0.2.0/24", "2001:db8::/32": what Express would otherwise refuse with a bare error at start-up. */
function isAddressOrSubnet(entry: string): boolean {
  const match = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(entry);
  if (!match) return false;
  const [, address, bits] = match;
  if (isIPv4(address)) return bits === undefined || Number(bits) <= 32;
  return isIPv6(address) && (bits === undefined || Number(bits) <= 128);
}

const httpOrHttps = httpUrl((key, raw) => `${key} must be an http:// or https:// URL; got "${raw}"`);

/** The issuer of persistent records when neither PERSIST_ISSUER nor PUBLIC_URL says otherwise. */
export const DEFAULT_PERSIST_ISSUER = "dnsproof.dev";

/** A domain name as persistent records start with it: compared in lower case, without a trailing dot. */
const issuerName: Parser<string> = {
  accepts: "domain names",
  parse(raw, key) {
    const name = raw.toLowerCase().replace(/\.$/, "");
    return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name)
      ? name
      : new Invalid(`${key} must list domain names, such as dnsproof.example; got "${raw}"`);
  },
};

/** Trailing slashes dropped: paths such as /crl are appended to it. */
const publicUrl: Parser<string> = {
  accepts: httpOrHttps.accepts,
  parse(raw, key) {
    const url = httpOrHttps.parse(raw, key);
    return url instanceof Invalid ? url : url.replace(/\/+$/, "");
  },
};

export const httpSection = section({
  title: "Server",
  settings: {
    env: setting({
      env: "NODE_ENV",
      parser: environmentName,
      defaultDoc: "unset (development)",
      doc: "`production` hides development conveniences (no development secret or token, no introspection unless asked, no schema suggestions in errors); any other value counts as development",
    }),
    port: setting({ env: "PORT", parser: integer({ min: 0, max: 65535 }), default: "4000", doc: "HTTP port" }),
    host: setting({ env: "HOST", parser: text("an address"), defaultDoc: "`127.0.0.1` outside production, `0.0.0.0` with `NODE_ENV=production`", doc: "bind address" }),
    logLevel: setting({ env: "LOG_LEVEL", parser: text("a pino level"), default: "info", doc: "pino level" }),
    publicUrl: setting({
      env: "PUBLIC_URL",
      parser: publicUrl,
      defaultDoc: "`http://localhost:<PORT>`; required in production with `CA_CERT_FILE` or `ATTESTATION_KEY_FILE`",
      doc: "where clients reach dnsproof: certificates name `PUBLIC_URL/crl`, attestations carry it as `iss`",
    }),
    persistIssuers: setting({
      env: "PERSIST_ISSUER",
      parser: list(issuerName),
      defaultDoc: "the host of `PUBLIC_URL` when it is set, else `dnsproof.dev`",
      doc:
        "the issuer name(s) persistent records (`_dnsproof-persist.<name>`) must start with; the first is the one shown, " +
        "and listing an old name after a new one keeps records published before a rename valid",
    }),
    trustProxy: setting({
      env: "TRUST_PROXY",
      parser: trustProxy,
      default: "false",
      defaultDoc: "unset: `X-Forwarded-For` is ignored",
      doc:
        "which proxy hops may set `X-Forwarded-For`, so the client IP (rate limits of anonymous callers, logs) is right. " +
        "`true` and a hop count believe whoever connects directly (a warning at start-up says so); with `TLS_CLIENT_CERT_HEADER` only a list is accepted",
    }),
    metricsToken: setting({
      env: "METRICS_TOKEN",
      parser: text("a secret"),
      defaultDoc: "unset: `/metrics` is open outside production and answers 401 in production",
      doc: "bearer token `/metrics` requires (`Authorization: Bearer <METRICS_TOKEN>`, else 401); at least 32 characters in production",
    }),
    metricsPublic: setting({
      env: "METRICS_PUBLIC",
      parser: boolean,
      defaultDoc: "`true` outside production when no `METRICS_TOKEN` is set, else `false`",
      doc: "serve `/metrics` without a token",
    }),
  },
  build: (v, { env }): Pick<Config, "env" | "port" | "host" | "logLevel" | "publicUrl" | "persistIssuers" | "trustProxy" | "metrics"> => ({
    env,
    port: v.port,
    // Outside production the explorer page embeds a development token: only this machine may reach it.
    host: v.host ?? (env === "production" ? "0.0.0.0" : "127.0.0.1"),
    logLevel: v.logLevel,
    publicUrl: v.publicUrl ?? `http://localhost:${v.port || 4000}`,
    persistIssuers: v.persistIssuers ?? [v.publicUrl ? new URL(v.publicUrl).hostname.toLowerCase() : DEFAULT_PERSIST_ISSUER],
    trustProxy: v.trustProxy,
    // A configured token is meant to be required, in any environment.
    metrics: { token: v.metricsToken, public: v.metricsPublic ?? (env !== "production" && v.metricsToken === undefined) },
  }),
});

/** NODE_ENV, read first: other sections' defaults depend on it. */
export function environmentOf(env: Env): Config["env"] {
  return readSetting(httpSection.settings.env, env, new Problems()) ?? "development";
}
