import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import pino from "pino";
import { Config, ConfigError, loadConfig } from "../shared/config";
import { mintToken, resolveJwtSecret } from "../auth/dev-credentials";
import { ActorType } from "../audit/audit.types";
import { MAX_REVERIFY_LIMIT, type MaintenanceContext } from "../admin/maintenance";
import type { Core } from "../app/core";
import type { SeedPlan } from "./seed";

const USAGE = `Usage: dnsproof <command> [options]

Commands:
  migrate                    apply pending database migrations
  reverify [--limit N]       re-check up to N verified domains now, least recently checked first (default 500);
                             exits 3 when DNS errors left checks inconclusive (a resolver is broken)
  cleanup                    expire stale claims; delete EXPIRED and REVOKED claims older than CLEANUP_AFTER_DAYS
  seed [--domains N] [--accounts M] [--audit-per-domain K] [--due-within SECONDS]
       [--webhooks W] [--deliveries D] [--certificates C] [--revoked R]
                             a scale fixture on MariaDB: N claims (default 1000) over M accounts (100) in
                             every status, K audit entries each (10), open claims due over the next SECONDS
                             (86400), W webhook endpoints per account (1) with D deliveries each (10), C
                             certificate rows (0) of which R revoked (0); refuses a database holding
                             anything it did not write
  token --sub ID [--account ID] [--email E]
                             print a bearer JWT signed with the configured secret (valid 30 days)
  perspective --name N --region R [--port P] [--host H]
                             a remote perspective: answers a primary's lookups of verification records from
                             this host's resolvers (DNS_SERVERS), authenticated with PERSPECTIVE_SECRET;
                             listens on H:P (default 0.0.0.0:8053); no database
  dev-dns [--port N] [--zone Z] [--dir D]
                             for trying the cycle locally: serve zone Z (default example.test) on
                             127.0.0.1:N (default 5300) with BIND 9, taking updates from nsupdate

Options:
  --json                     print the result as one JSON document (errors too: {"error": "..."})
  --help                     show this help

Every command reads the same environment as the server (DATABASE_URL, JWT_SECRET, ...).`;

/** Thrown for mistakes in the command line itself: exit code 2, with the usage. */
class UsageError extends Error {}

interface Output {
  /** What the command did, for people. */
  text: string;
  /** The same, for scripts (--json). */
  json: unknown;
  /** Set when the work was done but cron should still hear about it; 0 otherwise. */
  exitCode?: number;
}

/** `reverify` ran, but DNS errors left some checks inconclusive: cron should see a broken resolver. */
export const EXIT_INCONCLUSIVE = 3;

/** Runs one command and resolves to the process exit code: 0 done, 1 failed, 2 wrong usage, 3 inconclusive checks. */
export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const json = argv.includes("--json");
  try {
    const { values, positionals } = parseCommandLine(argv);
    if (values.help || positionals.length === 0) {
      stdout.write(`${USAGE}\n`);
      return positionals.length === 0 && !values.help ? 2 : 0;
    }
    const [command, ...extra] = positionals;
    if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}".`);
    // Needs no settings and runs until stopped.
    if (command === "dev-dns") return await devDns(values, stdout, stderr);
    if (command === "perspective") return await perspective(values, env, stdout);
    const config = loadConfig(env);
    const output = await run(command, values, config);
    stdout.write(json ? `${JSON.stringify(output.json)}\n` : `${output.text}\n`);
    return output.exitCode ?? 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (json) stdout.write(`${JSON.stringify({ error: message })}\n`);
    stderr.write(`dnsproof: ${message}\n`);
    if (error instanceof UsageError) {
      stderr.write(`\n${USAGE}\n`);
      return 2;
    }
    return 1;
  }
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        limit: { type: "string" },
        sub: { type: "string" },
        account: { type: "string" },
        email: { type: "string" },
        port: { type: "string" },
        zone: { type: "string" },
        dir: { type: "string" },
        name: { type: "string" },
        region: { type: "string" },
        host: { type: "string" },
        ...Object.fromEntries(SEED_OPTIONS.map((option) => [option, { type: "string" as const }])),
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The sizes `seed` takes, each a whole number. */
const SEED_OPTIONS = ["domains", "accounts", "audit-per-domain", "due-within", "webhooks", "deliveries", "certificates", "revoked"] as const;
type SeedOption = (typeof SEED_OPTIONS)[number];

type Values = ReturnType<typeof parseCommandLine>["values"] & Partial<Record<SeedOption, string>>;

async function run(command: string, values: Values, config: Config): Promise<Output> {
  const only = (command: string, allowed: (keyof Values)[]) => {
    const stray = (["limit", "sub", "account", "email", "port", "zone", "dir", "name", "region", "host", ...SEED_OPTIONS] as const).find((option) => values[option] !== undefined && !allowed.includes(option));
    if (stray) throw new UsageError(`"${command}" takes no --${stray}.`);
  };
  switch (command) {
    case "migrate":
      only(command, []);
      return migrate(config);
    case "reverify":
      only(command, ["limit"]);
      return reverify(config, parseLimit(values.limit));
    case "cleanup":
      only(command, []);
      return cleanup(config);
    case "seed":
      only(command, [...SEED_OPTIONS]);
      return seedDatabase(config, seedPlan(values));
    case "token":
      only(command, ["sub", "account", "email"]);
      if (!values.sub) throw new UsageError('"token" needs --sub ID.');
      return token(config, { sub: values.sub, account: values.account, email: values.email });
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

async function perspective(values: Values, env: Record<string, string | undefined>, stdout: NodeJS.WritableStream): Promise<number> {
  const stray = (["limit", "sub", "account", "email", "zone", "dir", ...SEED_OPTIONS] as const).find((option) => values[option] !== undefined);
  if (stray) throw new UsageError(`"perspective" takes no --${stray}.`);
  const { LABEL, PERSPECTIVE_DEFAULTS, servePerspective } = await import("../perspectives/serve");
  for (const option of ["name", "region"] as const) {
    const value = values[option];
    if (!value || !LABEL.test(value)) throw new UsageError(`"perspective" needs --${option}: letters, digits, ".", "_" or "-", at most 63; got "${value ?? ""}".`);
  }
  const port = values.port === undefined ? PERSPECTIVE_DEFAULTS.port : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535; got "${values.port}".`);
  return servePerspective({ name: values.name!, region: values.region!, port, host: values.host ?? PERSPECTIVE_DEFAULTS.host }, env, stdout);
}

async function devDns(values: Values, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<number> {
  const stray = (["limit", "sub", "account", "email"] as const).find((option) => values[option] !== undefined);
  if (stray) throw new UsageError(`"dev-dns" takes no --${stray}.`);
  const { DEV_DNS_DEFAULTS, serveDevDns } = await import("./dev-dns");
  const port = values.port === undefined ? DEV_DNS_DEFAULTS.port : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be a whole number from 1 to 65535; got "${values.port}".`);
  const zone = (values.zone ?? DEV_DNS_DEFAULTS.zone).replace(/\.$/, "").toLowerCase();
  if (!/^([a-z0-9-]+\.)*[a-z0-9-]+$/.test(zone)) throw new UsageError(`--zone must be a DNS name such as example.test; got "${values.zone}".`);
  return serveDevDns({ port, zone, dir: values.dir ?? DEV_DNS_DEFAULTS.dir }, stdout, stderr);
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return 500;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REVERIFY_LIMIT) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_REVERIFY_LIMIT}; got "${raw}".`);
  }
  return limit;
}

async function migrate(config: Config): Promise<Output> {
  // Loaded on demand, here and in withCore: `token` and `--help` answer without loading the server.
  const { openDataSource } = await import("../db/data-source");
  const { entities } = await import("../app/entities");
  const { runMigrations } = await import("../db/migrate");
  const dataSource = await openDataSource(config.databaseUrl, { entities });
  try {
    const applied = await runMigrations(dataSource);
    return {
      text: applied.length ? `Applied ${applied.length} migration(s): ${applied.join(", ")}.` : "The database is up to date; nothing to apply.",
      json: { applied },
    };
  } finally {
    await dataSource.destroy();
  }
}

function seedPlan(values: Values): SeedPlan {
  const size = (option: SeedOption, fallback: number) => {
    const raw = values[option];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${option} must be a whole number, 0 or more; got "${raw}".`);
    return n;
  };
  const plan: SeedPlan = {
    domains: size("domains", 1000),
    accounts: size("accounts", 100),
    auditPerDomain: size("audit-per-domain", 10),
    dueWithinSeconds: size("due-within", 86_400),
    webhooksPerAccount: size("webhooks", 1),
    deliveriesPerEndpoint: size("deliveries", 10),
    certificates: size("certificates", 0),
    revoked: size("revoked", 0),
  };
  if (plan.accounts < 1) throw new UsageError("--accounts must be 1 or more.");
  if (plan.revoked > plan.certificates) throw new UsageError(`--revoked (${plan.revoked}) cannot exceed --certificates (${plan.certificates}).`);
  return plan;
}

async function seedDatabase(config: Config, plan: SeedPlan): Promise<Output> {
  const { seed } = await import("./seed");
  const { entities } = await import("../app/entities");
  const report = await seed(config.databaseUrl, plan, entities);
  const total = Object.values(report.rows).reduce((sum, n) => sum + n, 0);
  const tables = Object.entries(report.rows)
    .map(([table, n]) => `${n} ${table}`)
    .join(", ");
  return {
    text: `Seeded ${total} rows (${tables}) in ${report.seconds.toFixed(1)} s: ${report.rowsPerSecond} rows/s.`,
    json: report,
  };
}

/** The services without any server; the core starts neither the scheduler nor the webhook worker: a command does its one job and exits, and the servers deliver its events. */
async function withCore<T>(config: Config, work: (core: Core, ctx: MaintenanceContext) => Promise<T>): Promise<T> {
  const { createCore } = await import("../app/core");
  // Logs go to stderr, so stdout carries only the result.
  const logger = pino({ level: config.logLevel, base: { service: "dnsproof-cli" } }, pino.destination(2));
  const core = await createCore(config, { logger });
  try {
    // One request id per run groups its audit entries.
    return await work(core, { actor: { type: ActorType.ADMIN, id: "cli", email: null }, requestId: `cli-${randomUUID()}` });
  } finally {
    await core.close();
  }
}

async function reverify(config: Config, limit: number): Promise<Output> {
  const counts = await withCore(config, (core, ctx) => core.maintenance.reverify(ctx, limit));
  return {
    text:
      `Checked ${counts.checked} verified domain(s): ${counts.stillVerified} still verified, ` +
      `${counts.inGracePeriod} in the grace period, ${counts.revoked} revoked, ${counts.dnsErrors} DNS error(s).` +
      (counts.dnsErrors ? ` Those ${counts.dnsErrors} check(s) concluded nothing: check DNS_SERVERS and the resolvers' health.` : ""),
    json: counts,
    exitCode: counts.dnsErrors ? EXIT_INCONCLUSIVE : 0,
  };
}

async function cleanup(config: Config): Promise<Output> {
  const counts = await withCore(config, (core, ctx) => core.maintenance.cleanup(ctx));
  return { text: `Expired ${counts.expired} stale claim(s); deleted ${counts.deleted} old expired or revoked claim(s).`, json: counts };
}

async function token(config: Config, who: { sub: string; account?: string; email?: string }): Promise<Output> {
  const resolved = resolveJwtSecret(config);
  if (!resolved) {
    throw new ConfigError("No JWT_SECRET is configured (tokens come from the identity provider at JWKS_URL); set JWT_SECRET to mint tokens.");
  }
  const ttlSeconds = 30 * 24 * 3600;
  const claims = { sub: who.sub, ...(who.account ? { account_id: who.account } : {}), ...(who.email ? { email: who.email } : {}) };
  const jwt = await mintToken(resolved.secret, claims, ttlSeconds, { issuer: config.auth.jwtIssuer, audience: config.auth.jwtAudience });
  return {
    text: jwt,
    json: {
      token: jwt,
      sub: who.sub,
      accountId: who.account ?? who.sub,
      email: who.email ?? null,
      expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString(),
      developmentSecret: resolved.development,
    },
  };
}
