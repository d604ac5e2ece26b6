/**
 * Settings that must come together, checked together, in one place. Each rule looks at the
 * assembled configuration and returns its problems; none stops the others.
 */
import { checkDnsQuorum } from "../dns-servers";
import { isLoopbackHost } from "./parsers";
import type { Config } from "./types";

export interface RuleInput {
  config: Config;
  /** A variable as set (trimmed, empty counting as unset), for rules about what was written rather than what it means. */
  raw(key: string): string | undefined;
}

export interface Rule {
  /**
   * Variables whose parsed values the rule judges. When one of them was refused, the rule stays
   * silent rather than judge the default standing in for it: the refusal already names the variable.
   */
  reads: string[];
  check(input: RuleInput): string[];
}

const dnsQuorum: Rule = {
  reads: ["DNS_QUORUM", "DNS_SERVERS", "DNS_MODE"],
  check({ config: { dns } }) {
    // Without DNS_SERVERS the system's resolvers are asked: the engine checks the quorum against those when it starts.
    if (dns.resolvers.length === 0) return [];
    try {
      checkDnsQuorum(dns.quorum, dns.mode, dns.resolvers.length);
      return [];
    } catch {
      // The parser let through only whole numbers from 1: what is wrong is the number of servers.
      return [`DNS_QUORUM=${dns.quorum} can never be met by the ${dns.servers.length} DNS_SERVERS configured`];
    }
  },
};

/** Nothing is SECURE without a resolver trusted to validate, so require-secure alone would verify nothing. */
const secureNeedsValidation: Rule = {
  reads: ["DNSSEC_POLICY", "DNS_RESOLVERS_VALIDATE"],
  check: ({ config: { dns } }) =>
    dns.dnssecPolicy === "require-secure" && !dns.resolversValidate
      ? ["DNSSEC_POLICY=require-secure needs DNS_RESOLVERS_VALIDATE=true: without a resolver trusted to validate, no answer is SECURE"]
      : [],
};

const caPair: Rule = {
  reads: [],
  check: ({ raw }) => ((raw("CA_CERT_FILE") === undefined) !== (raw("CA_KEY_FILE") === undefined) ? ["CA_CERT_FILE and CA_KEY_FILE must be set together"] : []),
};

const tlsPort: Rule = {
  reads: [],
  check({ raw }) {
    const files = raw("TLS_CERT_FILE") !== undefined && raw("TLS_KEY_FILE") !== undefined;
    const someFile = raw("TLS_CERT_FILE") !== undefined || raw("TLS_KEY_FILE") !== undefined;
    if (raw("TLS_PORT") !== undefined && !files) return ["TLS_PORT needs TLS_CERT_FILE and TLS_KEY_FILE"];
    if (raw("TLS_PORT") === undefined && someFile) return ["TLS_CERT_FILE and TLS_KEY_FILE need TLS_PORT"];
    return [];
  },
};

/**
 * The header names a client certificate the proxy checked, so only a connection from the proxy
 * itself may send it: TRUST_PROXY must list it. A hop count or "true" trusts whoever connects
 * directly, who could then present any certificate's PEM, without its key, as their own.
 */
const clientCertHeader: Rule = {
  reads: ["TLS_CLIENT_CERT_HEADER", "TRUST_PROXY"],
  check({ config: { credentials, trustProxy } }) {
    if (!credentials.clientCertHeader || typeof trustProxy === "string") return [];
    const fix = "set TRUST_PROXY to the proxy's addresses or subnets, e.g. TRUST_PROXY=10.0.0.5 or TRUST_PROXY=10.0.0.0/24";
    if (trustProxy === false) return [`TLS_CLIENT_CERT_HEADER needs TRUST_PROXY: the header is only believed when a trusted proxy set it; ${fix}`];
    return [
      `TLS_CLIENT_CERT_HEADER needs TRUST_PROXY to name the proxy, not ${trustProxy === true ? "true" : `a hop count (${trustProxy})`}: ` +
        `otherwise a client connecting directly could send any certificate in the header; ${fix}`,
    ];
  },
};

/** All three ADMIN_OIDC_* settings, or none: an issuer without an audience would accept tokens minted for any service. */
const adminOidc: Rule = {
  reads: [],
  check({ raw }) {
    const audience = raw("ADMIN_OIDC_AUDIENCE") !== undefined;
    const accounts = (raw("ADMIN_OIDC_SERVICE_ACCOUNTS") ?? "").split(",").some((entry) => entry.trim() !== "");
    if (raw("ADMIN_OIDC_ISSUER") === undefined) {
      return audience || accounts ? ["ADMIN_OIDC_AUDIENCE and ADMIN_OIDC_SERVICE_ACCOUNTS need ADMIN_OIDC_ISSUER"] : [];
    }
    return [
      ...(audience ? [] : ["ADMIN_OIDC_AUDIENCE must be set with ADMIN_OIDC_ISSUER"]),
      ...(accounts ? [] : ["ADMIN_OIDC_SERVICE_ACCOUNTS must list at least one service account"]),
    ];
  },
};

/** A rule that applies only with NODE_ENV=production: what production refuses that development tolerates. */
function inProduction(rule: Rule): Rule {
  return { reads: rule.reads, check: (input) => (input.config.env === "production" ? rule.check(input) : []) };
}

/** Shorter secrets can be guessed; outside production a short JWT_SECRET only earns a warning. */
function longSecret(key: string, secret: (config: Config) => string | undefined): Rule {
  return inProduction({
    reads: [],
    check: ({ config }) => {
      const value = secret(config);
      return value !== undefined && value.length < 32 ? [`${key} must be at least 32 characters in production`] : [];
    },
  });
}

const signedTokens = inProduction({
  reads: ["JWKS_URL"],
  check: ({ config: { auth } }) => (!auth.jwtSecret && !auth.jwksUrl ? ["JWT_SECRET or JWKS_URL must be set when NODE_ENV=production"] : []),
});

/** Certificates and attestations name PUBLIC_URL; a guessed localhost would end up in every one of them. */
const publicUrlNamed = inProduction({
  reads: [],
  check: ({ config: { credentials }, raw }) =>
    raw("PUBLIC_URL") === undefined && (credentials.ca || credentials.attestationKeyFile)
      ? ["PUBLIC_URL must be set in production with CA_CERT_FILE or ATTESTATION_KEY_FILE: certificates and attestations name it"]
      : [],
});

const identityProvider = inProduction({
  reads: ["JWKS_URL"],
  check({ config: { auth } }) {
    if (auth.jwksUrl === undefined) return [];
    // Already known to parse: its parser checked it.
    const url = new URL(auth.jwksUrl);
    const loopback = isLoopbackHost(url.hostname);
    return [
      // Keys fetched over plain HTTP could be swapped on the way; only loopback (a sidecar) may skip TLS.
      ...(url.protocol !== "https:" && !(url.protocol === "http:" && loopback) ? [`JWKS_URL must be an https:// URL in production; got "${auth.jwksUrl}"`] : []),
      // An identity provider signs tokens for every service it serves: without an audience, any of them would do here.
      ...(auth.jwtAudience ? [] : ["JWT_AUDIENCE must be set with JWKS_URL in production"]),
    ];
  },
});

export const rules: Rule[] = [
  dnsQuorum,
  secureNeedsValidation,
  caPair,
  tlsPort,
  clientCertHeader,
  adminOidc,
  signedTokens,
  longSecret("JWT_SECRET", (config) => config.auth.jwtSecret),
  publicUrlNamed,
  longSecret("ADMIN_SECRET", (config) => config.auth.adminSecret),
  longSecret("METRICS_TOKEN", (config) => config.metrics.token),
  identityProvider,
];
