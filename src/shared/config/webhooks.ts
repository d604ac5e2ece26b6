import { formatDnsServer } from "../dns-servers";
import { dnsServer } from "./dns";
import { boolean, duration, durations, HOURS, integer, list, SECONDS } from "./parsers";
import { section, setting } from "./setting";
import type { Config } from "./types";

export const webhooksSection = section({
  title: "Webhooks",
  settings: {
    maxPerAccount: setting({
      env: "MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT",
      parser: integer({ min: 1, max: 1000 }),
      default: "10",
      doc: "webhook endpoints one account may have",
    }),
    retryDelaysMs: setting({
      env: "WEBHOOK_RETRY_SECONDS",
      parser: durations(SECONDS),
      default: "5,300,1800,7200,18000,36000,36000",
      doc: "waits after each failed delivery attempt; after the last the delivery is FAILED",
    }),
    disableAfterMs: setting({
      env: "WEBHOOK_DISABLE_AFTER_HOURS",
      parser: duration(HOURS),
      default: "120",
      doc: "an endpoint whose attempts have all failed this long is disabled (audited `WEBHOOK_ENDPOINT_DISABLED`)",
    }),
    timeoutMs: setting({ env: "WEBHOOK_TIMEOUT_MS", parser: integer({ min: 100, max: 60_000 }), default: "10000", doc: "deadline of one POST, connecting included" }),
    allowPrivate: setting({
      env: "WEBHOOK_ALLOW_PRIVATE",
      parser: boolean,
      default: "false",
      doc: "allow `http://` and private, loopback or other special-purpose addresses as webhook targets (tests and closed networks only)",
    }),
    concurrency: setting({
      env: "WEBHOOK_CONCURRENCY",
      parser: integer({ min: 1, max: 1000 }),
      default: "10",
      doc: "webhook POSTs in flight at once per instance",
    }),
    workerEnabled: setting({
      env: "WEBHOOK_WORKER_ENABLED",
      parser: boolean,
      default: "true",
      doc: "deliver webhooks from this instance (the CLI never does)",
    }),
    concurrencyPerAccount: setting({
      env: "WEBHOOK_CONCURRENCY_PER_ACCOUNT",
      parser: integer({ min: 1, max: 1000 }),
      default: "5",
      doc: "webhook POSTs of one account in flight at once per instance (at most `WEBHOOK_CONCURRENCY`), so one account's slow endpoints cannot hold the whole pool",
    }),
    concurrencyPerEndpoint: setting({
      env: "WEBHOOK_CONCURRENCY_PER_ENDPOINT",
      parser: integer({ min: 1, max: 1000 }),
      default: "2",
      doc: "webhook POSTs to one endpoint in flight at once per instance (at most the account's)",
    }),
    dnsServers: setting({
      env: "WEBHOOK_DNS_SERVERS",
      parser: list(dnsServer),
      default: "",
      defaultDoc: "the system's resolvers (`/etc/resolv.conf`)",
      doc: "resolvers webhook host names are looked up with, in the `DNS_SERVERS` forms (c-ares, not getaddrinfo: `/etc/hosts` is not read)",
    }),
    dnsTimeoutMs: setting({
      env: "WEBHOOK_DNS_TIMEOUT_MS",
      parser: integer({ min: 50, max: 60_000 }),
      default: "3000",
      doc: "deadline of one webhook host-name lookup, when an endpoint is created or updated and on each attempt (where `WEBHOOK_TIMEOUT_MS` also bounds it)",
    }),
  },
  build: ({ dnsServers, ...v }): Pick<Config, "webhooks"> => ({
    // Written as c-ares takes them, port included.
    webhooks: { ...v, dnsServers: dnsServers.map((server) => formatDnsServer(server.address)) },
  }),
});
