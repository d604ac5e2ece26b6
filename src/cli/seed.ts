import { createHash, randomBytes } from "node:crypto";
import mysql from "mysql2/promise";
import { parseDatabaseUrl, openDataSource } from "../db/data-source";
import { runMigrations } from "../db/migrate";
import { DomainStatus } from "../shared/domain-status";
import { reversedName } from "../shared/domain-scope";
import { ActorType, AuditAction } from "../audit/audit.types";
import { WebhookDeliveryStatus } from "../webhooks/webhook-delivery.entity";
import { CertificateRevocationReason } from "../credentials/certificates/certificate.entity";
import { gramsOf } from "../domains/name-grams";

/** Every account the seed writes starts with this; an account without it means the database holds someone's data. */
export const SEED_ACCOUNT_PREFIX = "seed-";

/** What `dnsproof seed` writes. */
export interface SeedPlan {
  /** Claims, spread round-robin over the accounts. */
  domains: number;
  accounts: number;
  /** Audit entries per claim: the claim, then checks that failed and succeeded in turn. */
  auditPerDomain: number;
  /** Open claims (PENDING, FAILED, VERIFIED) fall due evenly over this many seconds from now; 0 makes all due now. */
  dueWithinSeconds: number;
  /** Webhook endpoints per account. */
  webhooksPerAccount: number;
  /** Deliveries per endpoint, each of one of the account's audit entries. */
  deliveriesPerEndpoint: number;
  /** Client certificate rows, on verified claims. */
  certificates: number;
  /** How many of those are revoked (unexpired, so all of them are in the CRL). */
  revoked: number;
}

export interface SeedReport {
  /** Rows written per table. */
  rows: Record<string, number>;
  seconds: number;
  rowsPerSecond: number;
}

/** Rows per INSERT statement, and statements in flight at once: enough to keep MariaDB busy, few enough to stay under max_allowed_packet. */
const ROWS_PER_STATEMENT = 2_000;
const STATEMENTS_IN_FLIGHT = 4;
const DAY_MS = 86_400_000;
const TOKEN_TTL_MS = 30 * DAY_MS;
/** Claims were made over this long before now; certificates last 90 days, as a platform's client certificates do. */
const HISTORY_MS = 60 * DAY_MS;
const CERTIFICATE_MS = 90 * DAY_MS;
/** One status per claim, by its index modulo 10: half verified, as on a platform whose customers mostly finished. */
const STATUS_CYCLE = ["VERIFIED", "VERIFIED", "VERIFIED", "VERIFIED", "VERIFIED", "PENDING", "PENDING", "FAILED", "EXPIRED", "REVOKED"] as const;
const SEEDED_TABLES = ["accounts", "domains", "audit_entries", "api_keys", "certificates", "webhook_endpoints", "webhook_deliveries"];

/** Thrown when the target database is not one the seed may write to. */
export class SeedRefused extends Error {}

/**
 * Writes `plan` straight into the database at `databaseUrl` in the project's schema (migrating
 * it first), in multi-row INSERTs. It refuses a database holding any row of an account it did not write.
 */
export async function seed(databaseUrl: string, plan: SeedPlan, entities: Function[], now = new Date()): Promise<SeedReport> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.kind !== "mysql") throw new SeedRefused("seed writes to MariaDB/MySQL only (DATABASE_URL=mysql://...).");
  const dataSource = await openDataSource(databaseUrl, { entities });
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
  const pool = mysql.createPool({ uri: target.url, timezone: "Z", connectionLimit: STATEMENTS_IN_FLIGHT, charset: "utf8mb4_unicode_ci" });
  try {
    await refuseForeignRows(pool);
    const started = process.hrtime.bigint();
    const rows = await writeAll(pool, plan, now);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const total = Object.values(rows).reduce((sum, n) => sum + n, 0);
    return { rows, seconds, rowsPerSecond: Math.round(total / seconds) };
  } finally {
    await pool.end();
  }
}

async function refuseForeignRows(pool: mysql.Pool): Promise<void> {
  for (const table of SEEDED_TABLES) {
    const column = table === "accounts" ? "id" : "accountId";
    const [rows] = await pool.query(`SELECT 1 FROM \`${table}\` WHERE \`${column}\` NOT LIKE ? LIMIT 1`, [`${SEED_ACCOUNT_PREFIX}%`]);
    if ((rows as unknown[]).length) {
      throw new SeedRefused(`The database holds ${table} rows the seed did not write (accounts not named ${SEED_ACCOUNT_PREFIX}*); seed only an empty or seeded database.`);
    }
  }
}

/** Appends rows to one table's INSERT statements, ROWS_PER_STATEMENT at a time, with a few statements in flight. */
class BulkInsert {
  private batch: unknown[][] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = null;
  written = 0;

  constructor(
    private readonly pool: mysql.Pool,
    private readonly table: string,
    private readonly columns: string[],
  ) {}

  async add(row: unknown[]): Promise<void> {
    this.batch.push(row);
    if (this.batch.length >= ROWS_PER_STATEMENT) await this.send();
  }

  async finish(): Promise<number> {
    if (this.batch.length) await this.send();
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    return this.written;
  }

  private async send(): Promise<void> {
    const rows = this.batch;
    this.batch = [];
    while (this.inFlight.size >= STATEMENTS_IN_FLIGHT) await Promise.race(this.inFlight);
    // A failed statement stops the run at the next batch rather than as an unhandled rejection.
    if (this.failure) throw this.failure;
    const sql = `INSERT INTO \`${this.table}\` (${this.columns.map((c) => `\`${c}\``).join(", ")}) VALUES ?`;
    const statement: Promise<void> = this.pool.query(sql, [rows]).then(
      () => {
        this.written += rows.length;
        this.inFlight.delete(statement);
      },
      (error: unknown) => {
        this.failure ??= error;
        this.inFlight.delete(statement);
      },
    );
    this.inFlight.add(statement);
  }
}

/** Ids shaped as uuids (cursors accept nothing else), unique per run and table, ascending in the order written: InnoDB appends instead of splitting pages. */
function idMaker(run: string, table: number) {
  const group = table.toString(16).padStart(4, "0");
  return (n: number) => `${run}-${group}-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

interface Ids {
  run: string;
  account: (a: number) => string;
  domain: (n: number) => string;
  audit: (n: number) => string;
  endpoint: (n: number) => string;
  delivery: (n: number) => string;
  certificate: (n: number) => string;
}

function runIds(): Ids {
  const run = randomBytes(4).toString("hex");
  return {
    run,
    account: (a) => `${SEED_ACCOUNT_PREFIX}${run}-${a}`,
    domain: idMaker(run, 1),
    audit: idMaker(run, 2),
    endpoint: idMaker(run, 3),
    delivery: idMaker(run, 4),
    certificate: idMaker(run, 5),
  };
}

async function writeAll(pool: mysql.Pool, plan: SeedPlan, now: Date): Promise<Record<string, number>> {
  const ids = runIds();
  const accounts = Math.max(1, Math.min(plan.accounts, plan.domains || plan.accounts));
  const rows: Record<string, number> = {};
  rows.accounts = await writeAccounts(pool, ids, accounts, now);
  const [domains, audit, grams] = await writeDomains(pool, ids, plan, accounts, now);
  rows.domains = domains;
  rows.audit_entries = audit;
  rows.domain_name_grams = grams;
  const [endpoints, deliveries] = await writeWebhooks(pool, ids, plan, accounts, now);
  rows.webhook_endpoints = endpoints;
  rows.webhook_deliveries = deliveries;
  rows.certificates = await writeCertificates(pool, ids, plan, accounts, now);
  return rows;
}

async function writeAccounts(pool: mysql.Pool, ids: Ids, count: number, now: Date): Promise<number> {
  const insert = new BulkInsert(pool, "accounts", ["id", "createdAt"]);
  for (let a = 0; a < count; a++) await insert.add([ids.account(a), new Date(now.getTime() - HISTORY_MS)]);
  return insert.finish();
}

const DOMAIN_COLUMNS = [
  "id", "accountId", "name", "nameReversed", "status", "token", "previousTokens", "tokenIssuedAt", "tokenExpiresAt", "verifiedName", "verifiedAt",
  "lastCheckedAt", "lastCheck", "failingSince", "nextCheckAt", "createdAt", "updatedAt",
];
const AUDIT_COLUMNS = ["id", "accountId", "domainId", "domainName", "action", "actorType", "actorId", "message", "previousStatus", "newStatus", "requestId", "createdAt"];

/** Where claim `i` of `count` stands, in time: made over the last HISTORY_MS, oldest first. */
function createdAtOf(i: number, count: number, now: Date): Date {
  return new Date(now.getTime() - HISTORY_MS + Math.floor((i * (HISTORY_MS - 60_000)) / Math.max(1, count)));
}

function domainName(ids: Ids, i: number): string {
  return `d${i}.${ids.run}.seed.test`;
}

async function writeDomains(pool: mysql.Pool, ids: Ids, plan: SeedPlan, accounts: number, now: Date): Promise<[number, number, number]> {
  const domains = new BulkInsert(pool, "domains", DOMAIN_COLUMNS);
  const audit = new BulkInsert(pool, "audit_entries", AUDIT_COLUMNS);
  const grams = new BulkInsert(pool, "domain_name_grams", ["gram", "domainId"]);
  for (let i = 0; i < plan.domains; i++) {
    const row = domainRow(ids, i, plan, accounts, now);
    await domains.add(row);
    const createdAt = row[15] as Date;
    for (let k = 0; k < plan.auditPerDomain; k++) await audit.add(auditRow(ids, i, k, plan, accounts, createdAt, now));
    for (const gram of gramsOf(domainName(ids, i))) await grams.add([gram, ids.domain(i)]);
  }
  return [await domains.finish(), await audit.finish(), await grams.finish()];
}

function domainRow(ids: Ids, i: number, plan: SeedPlan, accounts: number, now: Date): unknown[] {
  const status = STATUS_CYCLE[i % STATUS_CYCLE.length];
  const createdAt = createdAtOf(i, plan.domains, now);
  const name = domainName(ids, i);
  const open = status === "VERIFIED" || status === "PENDING" || status === "FAILED";
  // Unproven claims still open hold a token issued recently; expired ones ran out a day ago.
  const issuedAt = status === "EXPIRED" ? new Date(now.getTime() - TOKEN_TTL_MS - DAY_MS) : open && status !== "VERIFIED" ? new Date(Math.max(createdAt.getTime(), now.getTime() - 10 * DAY_MS)) : createdAt;
  const checked = status === "PENDING" ? null : new Date(now.getTime() - (i % 86_400) * 1000);
  const verified = status === "VERIFIED";
  const nextCheckAt = open ? new Date(now.getTime() + Math.floor(((i * 7919) % 10_007) / 10_007 * plan.dueWithinSeconds * 1000)) : null;
  // One verified claim in twenty is in its grace period: its record went missing a day ago.
  const failingSince = verified && i % 20 === 1 ? new Date(now.getTime() - DAY_MS) : null;
  return [
    ids.domain(i), ids.account(i % accounts), name, reversedName(name), status, createHash("sha256").update(name).digest("hex"), "[]",
    issuedAt, new Date(issuedAt.getTime() + TOKEN_TTL_MS), verified ? name : null, verified || status === "REVOKED" ? createdAt : null,
    checked, checked ? lastCheck(name, status, checked) : null, failingSince, nextCheckAt, createdAt, checked ?? createdAt,
  ];
}

function lastCheck(name: string, status: string, checkedAt: Date): string {
  const found = status === "VERIFIED";
  return JSON.stringify({
    outcome: found ? "VERIFIED" : "RECORD_NOT_FOUND",
    method: found ? "TXT" : null,
    checkedAt: checkedAt.toISOString(),
    message: found ? `Found the TXT record at _dnsproof-verify.${name}.` : `No TXT record at _dnsproof-verify.${name}.`,
    foundValues: [],
    hints: [],
    servers: [{ server: "127.0.0.1:53", answer: found ? "FOUND" : "NXDOMAIN", values: [], durationMs: 3 }],
  });
}

function auditRow(ids: Ids, i: number, k: number, plan: SeedPlan, accounts: number, createdAt: Date, now: Date): unknown[] {
  const name = domainName(ids, i);
  const at = new Date(createdAt.getTime() + Math.floor(((now.getTime() - createdAt.getTime()) * k) / Math.max(1, plan.auditPerDomain)));
  const [action, previous, next, message] =
    k === 0
      ? [AuditAction.DOMAIN_CLAIMED, null, DomainStatus.PENDING, `Claimed ${name}.`]
      : k % 2 === 1
        ? [AuditAction.VERIFICATION_FAILED, DomainStatus.PENDING, DomainStatus.FAILED, `No TXT record at _dnsproof-verify.${name}.`]
        : [AuditAction.VERIFICATION_SUCCEEDED, DomainStatus.FAILED, DomainStatus.VERIFIED, `Verified ${name} by its TXT record.`];
  const account = ids.account(i % accounts);
  return [ids.audit(i * plan.auditPerDomain + k), account, ids.domain(i), name, action, ActorType.USER, `${account}-user`, message, previous, next, `seed-${ids.run}`, at];
}

const ENDPOINT_COLUMNS = ["id", "accountId", "url", "actions", "secret", "enabled", "createdAt", "updatedAt"];
const DELIVERY_COLUMNS = ["id", "endpointId", "accountId", "entryId", "messageId", "status", "attempts", "nextAttemptAt", "lastAttemptAt", "lastResponseStatus", "deliveredAt", "attemptLog", "createdAt"];

async function writeWebhooks(pool: mysql.Pool, ids: Ids, plan: SeedPlan, accounts: number, now: Date): Promise<[number, number]> {
  const endpoints = new BulkInsert(pool, "webhook_endpoints", ENDPOINT_COLUMNS);
  const deliveries = new BulkInsert(pool, "webhook_deliveries", DELIVERY_COLUMNS);
  const since = new Date(now.getTime() - HISTORY_MS);
  let delivery = 0;
  for (let a = 0; a < accounts; a++) {
    for (let w = 0; w < plan.webhooksPerAccount; w++) {
      const endpointId = ids.endpoint(a * plan.webhooksPerAccount + w);
      await endpoints.add([endpointId, ids.account(a), `https://hooks.${a}.seed.test/dnsproof/${w}`, "[]", randomBytes(24).toString("base64url"), true, since, since]);
      for (const entry of entriesOfAccount(a, accounts, plan)) {
        await deliveries.add(deliveryRow(ids, delivery++, endpointId, a, entry, now));
      }
    }
  }
  return [await endpoints.finish(), await deliveries.finish()];
}

/** The audit entry numbers of account `a`, at most deliveriesPerEndpoint of them: its claims' entries in order. */
function* entriesOfAccount(a: number, accounts: number, plan: SeedPlan): Generator<number> {
  const perDomain = plan.auditPerDomain;
  for (let d = 0; d < plan.deliveriesPerEndpoint && perDomain > 0; d++) {
    const domain = a + accounts * Math.floor(d / perDomain);
    if (domain >= plan.domains) return;
    yield domain * perDomain + (d % perDomain);
  }
}

function deliveryRow(ids: Ids, n: number, endpointId: string, a: number, entry: number, now: Date): unknown[] {
  // Nine in ten delivered; the rest wait for a retry a minute from now.
  const delivered = n % 10 !== 0;
  const attemptedAt = new Date(now.getTime() - (n % 3600) * 1000);
  const status = delivered ? WebhookDeliveryStatus.DELIVERED : WebhookDeliveryStatus.PENDING;
  return [
    ids.delivery(n), endpointId, ids.account(a), ids.audit(entry), `msg_${ids.run}_${n}`, status, 1,
    delivered ? null : new Date(now.getTime() + 60_000), attemptedAt, delivered ? 200 : 503, delivered ? attemptedAt : null, "[]", attemptedAt,
  ];
}

const CERTIFICATE_COLUMNS = ["id", "accountId", "domainId", "domainName", "serialNumber", "fingerprintSha256", "pem", "notBefore", "notAfter", "revokedAt", "revocationReason", "createdAt"];
/** The size of a real client certificate's PEM; the bytes are not a certificate (nothing reads them back but the API). */
const PLACEHOLDER_PEM = `-----BEGIN CERTIFICATE-----\n${(randomBytes(720).toString("base64").match(/.{1,64}/g) ?? []).join("\n")}\n-----END CERTIFICATE-----\n`;

async function writeCertificates(pool: mysql.Pool, ids: Ids, plan: SeedPlan, accounts: number, now: Date): Promise<number> {
  const insert = new BulkInsert(pool, "certificates", CERTIFICATE_COLUMNS);
  const verifiedPerCycle = STATUS_CYCLE.filter((s) => s === "VERIFIED").length;
  for (let c = 0; c < plan.certificates && plan.domains > 0; c++) {
    // The c-th verified claim, wrapping round when there are more certificates than claims.
    const domain = (Math.floor(c / verifiedPerCycle) * STATUS_CYCLE.length + (c % verifiedPerCycle)) % plan.domains;
    const notBefore = new Date(now.getTime() - (c % 80) * DAY_MS - 60_000);
    const revoked = c < plan.revoked;
    const serial = `4${ids.run}${c.toString(16).padStart(23, "0")}`;
    await insert.add([
      ids.certificate(c), ids.account(domain % accounts), ids.domain(domain), domainName(ids, domain), serial,
      createHash("sha256").update(serial).digest("hex"), PLACEHOLDER_PEM, notBefore, new Date(notBefore.getTime() + CERTIFICATE_MS),
      revoked ? new Date(notBefore.getTime() + 30_000) : null, revoked ? (c % 2 ? CertificateRevocationReason.DOMAIN_REMOVED : CertificateRevocationReason.REVOKED_BY_OWNER) : null, notBefore,
    ]);
  }
  return insert.finish();
}
