/**
 * The measuring stick of `npm run bench`: a framework-free server that does dnsproof's work
 * for the benchmarked operations and nothing more. node:http, the HS256 JWT checked with
 * node:crypto, the SQL statements dnsproof sends (same text, same order) through a mysql2
 * pool, and the same JSON byte for byte (test/bench/baseline.test.ts holds it to that).
 * No Express, Apollo, GraphQL, TypeGraphQL or TypeORM: what is left is the physical limit
 * of Node, mysql2 and MariaDB for these answers.
 *
 * Answers only the texts in ./operations.ts, POSTed to /graphql; GET /healthz; GET /stats
 * (SQL statements sent so far). Run as `node baseline-server.js` with DATABASE_URL,
 * JWT_SECRET and PORT, on a database dnsproof has migrated.
 */
import http from "node:http";
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import mysql, { Pool, PoolConnection } from "mysql2";
import { v7 as uuidv7 } from "uuid";
import { normalizeDomainName } from "../../src/domains/domain-name";
import { gramsOf } from "../../src/domains/name-grams";
import { reversedName } from "../../src/shared/domain-scope";
import { CLAIM_DOMAIN, DOMAINS_WITH_AUDIT_LOG } from "./operations";

const DOMAIN_COUNT = "SELECT COUNT(*) AS `held` FROM `domains` WHERE `accountId` = ?";
const AUDIT_COLUMNS = "`id`, `accountId`, `domainId`, `domainName`, `action`, `actorType`, `actorId`, `actorEmail`, `message`, `previousStatus`, `newStatus`, `reason`, `graceEndsAt`, `checkResult`, `requestId`, `createdAt`";
const auditPages = (domains: number) =>
  `SELECT ${AUDIT_COLUMNS}, total FROM (
         SELECT ${AUDIT_COLUMNS}, ROW_NUMBER() OVER (PARTITION BY domainId ORDER BY createdAt DESC, id DESC) AS position, COUNT(*) OVER (PARTITION BY domainId) AS total
         FROM audit_entries
         WHERE domainId IN (${Array.from({ length: domains }, () => "?").join(", ")})
       ) ranked WHERE position <= ? ORDER BY createdAt DESC, id DESC`;

const DOMAIN_COLUMNS = "`id`, `accountId`, `name`, `nameReversed`, `status`, `scope`, `inheritedFromId`, `token`, `previousTokens`, `tokenIssuedAt`, `tokenExpiresAt`, `verifiedName`, `verifiedAt`, `lastCheckedAt`, `lastCheck`, `failingSince`, `nextCheckAt`, `leaseOwner`, `leaseExpiresAt`, `tokenExpiryWarnedAt`, `createdAt`, `updatedAt`";
/** The page size goes in as a parameter (first + 1, to know whether there is a next page). */
const DOMAIN_PAGE = `SELECT ${DOMAIN_COLUMNS} FROM \`domains\` WHERE \`accountId\` = ? ORDER BY \`createdAt\` DESC, \`id\` DESC LIMIT ?`;
const ACCOUNT_EXISTS = "SELECT 1 AS found FROM `accounts` WHERE `id` = ? LIMIT 1";
// TypeORM writes two spaces here; the text is the same as what dnsproof sends.
const ACCOUNT_INSERT = "INSERT  IGNORE INTO `accounts`(`id`, `createdAt`, `version`) VALUES (?, ?, DEFAULT) RETURNING `version`";
// The account row is written, not only locked, so that a cluster certifies it (see AccountStore.lock).
const ACCOUNT_LOCK = "UPDATE `accounts` SET `version` = `version` + 1 WHERE `id` = ?";
const DOMAIN_BY_NAME_COUNTING = `SELECT (SELECT COUNT(*) FROM \`domains\` WHERE \`accountId\` = ?) AS \`held\`, ${DOMAIN_COLUMNS} FROM (SELECT 1 AS \`one\`) \`one_row\` LEFT JOIN \`domains\` ON \`accountId\` = ? AND \`name\` = ?`;
const DOMAIN_INSERT = `INSERT INTO \`domains\` (${DOMAIN_COLUMNS}) VALUES (${Array(22).fill("?").join(", ")})`;
/** The account's SUBTREE claims above the new name, which would verify it at once (none in the benchmark). */
const SUBTREE_CLAIMS_ABOVE = (names: number) =>
  `SELECT ${DOMAIN_COLUMNS} FROM \`domains\` WHERE \`accountId\` = ? AND \`scope\` = ? AND \`name\` IN (${Array(names).fill("?").join(", ")})`;
const AUDIT_INSERT = `INSERT INTO \`audit_entries\` (\`id\`, \`accountId\`, \`domainId\`, \`domainName\`, \`action\`, \`actorType\`, \`actorId\`, \`actorEmail\`, \`message\`, \`previousStatus\`, \`newStatus\`, \`reason\`, \`graceEndsAt\`, \`checkResult\`, \`requestId\`, \`createdAt\`) VALUES (${Array(16).fill("?").join(", ")})`;
const ENABLED_WEBHOOK_ENDPOINTS = "SELECT `id`, `accountId`, `url`, `actions`, `domainId`, `domainName`, `secret`, `previousSecret`, `previousSecretExpiresAt`, `enabled`, `disabledReason`, `failingSince`, `createdAt`, `updatedAt` FROM `webhook_endpoints` WHERE `accountId` = ? AND `enabled` = 1";

const TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;
const FIRST_CHECK_MS = 60_000;
const MAX_DOMAINS_PER_ACCOUNT = Number(process.env.MAX_DOMAINS_PER_ACCOUNT ?? 5);

interface Caller {
  accountId: string;
  userId: string;
  email: string | null;
}

export interface BaselineServer {
  url: string;
  /** SQL statements sent so far. */
  statements(): number;
  /** The texts of the statements sent since the last call, when started with `recordStatements` (baseline.test.ts compares them with dnsproof's). */
  takeStatementTexts(): string[];
  close(): Promise<void>;
}

export function startBaselineServer(options: { databaseUrl: string; jwtSecret: string; port?: number; recordStatements?: boolean }): Promise<BaselineServer> {
  // The options TypeORM gives mysql2 for dnsproof, so both parse rows alike.
  const pool = mysql.createPool({
    uri: options.databaseUrl,
    connectionLimit: 20,
    timezone: "Z",
    charset: "utf8mb4_unicode_ci",
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  const key = Buffer.from(options.jwtSecret, "utf8");
  let statements = 0;
  let texts: string[] = [];
  const query = <T>(on: Pool | PoolConnection, sql: string, params: unknown[]): Promise<T> => {
    statements++;
    if (options.recordStatements) texts.push(sql);
    return new Promise((resolve, reject) => on.query(sql, params, (error, rows) => (error ? reject(error) : resolve(rows as T))));
  };

  const authenticate = (header: string | undefined): Caller | null => {
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const parts = match ? match[1].split(".") : [];
    if (parts.length !== 3) return null;
    const [head, body, signature] = parts;
    const expected = createHmac("sha256", key).update(`${head}.${body}`).digest();
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const header_ = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
    if (header_.alg !== "HS256") return null;
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    const now = Date.now() / 1000;
    if (typeof claims.exp === "number" && claims.exp + 5 < now) return null;
    if (typeof claims.sub !== "string" || claims.sub === "") return null;
    const accountId = typeof claims.account_id === "string" && claims.account_id !== "" ? claims.account_id : claims.sub;
    return { accountId, userId: claims.sub, email: typeof claims.email === "string" ? claims.email : null };
  };

  const domainsWithAuditLog = async (caller: Caller, first: number): Promise<string> => {
    const [domains, counted] = await Promise.all([
      query<Record<string, any>[]>(pool, DOMAIN_PAGE, [caller.accountId, first + 1]),
      query<{ held: string }[]>(pool, DOMAIN_COUNT, [caller.accountId]),
    ]);
    const page = domains.slice(0, first);
    const entries = page.length ? await query<Record<string, any>[]>(pool, auditPages(page.length), [...page.map((d) => d.id), 11]) : [];
    const byDomain = new Map<string, { total: number; nodes: unknown[] }>(page.map((d) => [d.id, { total: 0, nodes: [] }]));
    for (const entry of entries) {
      const log = byDomain.get(entry.domainId)!;
      log.total = Number(entry.total);
      if (log.nodes.length < 10) {
        log.nodes.push({
          id: globalId("AuditEntry", entry.id),
          action: entry.action,
          createdAt: entry.createdAt,
          actor: { type: entry.actorType, id: entry.actorId },
        });
      }
    }
    const now = Date.now();
    const edges = page.map((d) => {
      const status = (d.status === "PENDING" || d.status === "FAILED") && d.tokenExpiresAt.getTime() <= now ? "EXPIRED" : d.status;
      const log = byDomain.get(d.id)!;
      return {
        cursor: cursorOf(d.createdAt, d.id),
        node: {
          id: globalId("Domain", d.id),
          name: d.name,
          status,
          verified: status === "VERIFIED",
          txtRecord: { host: `_dnsproof-verify.${d.name}`, value: `dnsproof-verification=${d.token}` },
          auditLog: { totalCount: log.total, nodes: log.nodes },
        },
      };
    });
    return JSON.stringify({
      data: {
        domains: {
          totalCount: Number(counted[0].held),
          edges,
          pageInfo: { hasNextPage: domains.length > first, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
        },
      },
    });
  };

  const claimDomain = async (caller: Caller, rawName: string): Promise<string> => {
    const normalized = normalizeDomainName(rawName);
    if (!normalized.ok) return JSON.stringify({ data: { claimDomain: { created: false, domain: null, userErrors: [{ code: normalized.code, message: normalized.message }] } } });
    const { name } = normalized;
    const attempt = () =>
      transaction(async (c): Promise<string | null> => {
        const now = new Date();
        if (!(await query<{ affectedRows: number }>(c, ACCOUNT_LOCK, [caller.accountId])).affectedRows) return null;
        const [row] = await query<Record<string, any>[]>(c, DOMAIN_BY_NAME_COUNTING, [caller.accountId, caller.accountId, name]);
        if (row.id != null) return claimed(false, row.id, name, row.status);
        const held = Number(row.held);
        if (held >= MAX_DOMAINS_PER_ACCOUNT) {
          const message = `Your account holds ${held} of ${MAX_DOMAINS_PER_ACCOUNT} domains; remove one before claiming another.`;
          return JSON.stringify({ data: { claimDomain: { created: false, domain: null, userErrors: [{ code: "DOMAIN_LIMIT_REACHED", message }] } } });
        }
        const id = uuidv7();
        const tokenExpiresAt = new Date(now.getTime() + TOKEN_TTL_MS);
        const nextCheckAt = new Date(Math.min(now.getTime() + FIRST_CHECK_MS, tokenExpiresAt.getTime()));
        await query(c, DOMAIN_INSERT, [id, caller.accountId, name, reversedName(name), "PENDING", "EXACT", null, randomBytes(32).toString("hex"), "[]", now, tokenExpiresAt, null, null, null, null, null, nextCheckAt, null, null, null, now, now]);
        const grams = gramsOf(name);
        await query(c, `INSERT INTO \`domain_name_grams\` (gram, domainId) VALUES ${grams.map(() => "(?, ?)").join(", ")}`, grams.flatMap((gram) => [gram, id]));
        const above = name.split(".").slice(1).map((_, i, labels) => labels.slice(i).join("."));
        await query(c, SUBTREE_CLAIMS_ABOVE(above.length), [caller.accountId, "SUBTREE", ...above]);
        const message = `Claimed ${name}; publish the TXT record at _dnsproof-verify.${name} to verify it.`;
        await query(c, AUDIT_INSERT, [uuidv7(), caller.accountId, id, name, "DOMAIN_CLAIMED", "USER", caller.userId, caller.email, message, null, "PENDING", null, null, null, randomUUID(), now]);
        // Where the entry would be delivered; the benchmark's accounts have no endpoints, so nothing is.
        await query(c, ENABLED_WEBHOOK_ENDPOINTS, [caller.accountId]);
        return claimed(true, id, name, "PENDING");
      });
    const answer = await attempt();
    if (answer !== null) return answer;
    // An account's first claim: its row, in a transaction of its own, then the claim again.
    if (!(await query<unknown[]>(pool, ACCOUNT_EXISTS, [caller.accountId])).length) {
      await transaction((c) => query(c, ACCOUNT_INSERT, [caller.accountId, new Date()]));
    }
    return (await attempt())!;
  };
  const claimed = (created: boolean, id: string, name: string, status: string) =>
    JSON.stringify({ data: { claimDomain: { created, domain: { id: globalId("Domain", id), name, status }, userErrors: [] } } });

  const transaction = async <T>(work: (c: PoolConnection) => Promise<T>): Promise<T> => {
    const c = await new Promise<PoolConnection>((resolve, reject) => pool.getConnection((error, conn) => (error ? reject(error) : resolve(conn))));
    try {
      await query(c, "START TRANSACTION", []);
      const result = await work(c);
      await query(c, "COMMIT", []);
      return result;
    } catch (error) {
      await query(c, "ROLLBACK", []).catch(() => undefined);
      throw error;
    } finally {
      c.release();
    }
  };

  const server = http.createServer((req, res) => {
    const send = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method === "GET" && req.url === "/healthz") return send(200, JSON.stringify({ status: "ok" }));
    if (req.method === "GET" && req.url === "/stats") return send(200, JSON.stringify({ statements }));
    if (req.method !== "POST" || req.url !== "/graphql") return send(404, "{}");
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const answer = async (): Promise<[number, string]> => {
        const caller = authenticate(req.headers.authorization);
        if (!caller) return [401, JSON.stringify({ errors: [{ message: "Sign in", extensions: { code: "UNAUTHENTICATED" } }] })];
        const { query: text, variables } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        if (text === DOMAINS_WITH_AUDIT_LOG) return [200, (await domainsWithAuditLog(caller, variables.first)) + "\n"];
        if (text === CLAIM_DOMAIN) return [200, (await claimDomain(caller, variables.name)) + "\n"];
        return [400, JSON.stringify({ errors: [{ message: "The baseline answers only the benchmark's operations" }] })];
      };
      answer().then(
        ([status, body]) => send(status, body),
        (error) => send(500, JSON.stringify({ errors: [{ message: String(error?.message ?? error) }] })),
      );
    });
  });
  return new Promise((resolve) => {
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        statements: () => statements,
        takeStatementTexts: () => {
          const taken = texts;
          texts = [];
          return taken;
        },
        close: () => new Promise<void>((done) => server.close(() => pool.end(() => done()))),
      });
    });
  });
}

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`, "utf8").toString("base64url");
const cursorOf = (createdAt: Date, id: string) => Buffer.from(JSON.stringify([createdAt.toISOString(), id]), "utf8").toString("base64url");

if (require.main === module) {
  const { DATABASE_URL, JWT_SECRET, PORT } = process.env;
  if (!DATABASE_URL || !JWT_SECRET) {
    console.error("baseline-server: DATABASE_URL and JWT_SECRET are required");
    process.exit(1);
  }
  startBaselineServer({ databaseUrl: DATABASE_URL, jwtSecret: JWT_SECRET, port: Number(PORT ?? 0) }).then((server) => {
    process.stdout.write(`${server.url}\n`);
    process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
  });
}
