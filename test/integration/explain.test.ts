import mysql from "mysql2/promise";
import type { EntityManager } from "typeorm";
import { entities } from "../../src/app/entities";
import { seed } from "../../src/cli/seed";
import { ScratchDatabase, createScratchDatabase } from "../support/databases";
import { DOMAIN_FIELDS, TestApp, startTestApp } from "../support/test-app";
import { SqlDomainStore } from "../../src/domains/domain.store";
import { systemClock } from "../../src/shared/clock";

/**
 * Every statement behind the reads that must stay flat as the data grows uses an index: run
 * against a seeded MariaDB, each SELECT the app sends is EXPLAINed, and none may scan a whole
 * large table. 2,000 claims and 20,000 audit entries, analyzed, are enough for the optimizer to
 * choose as it would at a million.
 */
const LARGE_TABLES = ["domains", "audit_entries", "certificates", "webhook_endpoints", "webhook_deliveries", "api_keys", "domain_name_grams"];

interface Statement {
  sql: string;
  parameters: unknown[];
}

interface PlanRow {
  table: string | null;
  type: string | null;
  key: string | null;
}

/** EXPLAIN names a table by its alias in the statement (`FROM domains d` shows as `d`). */
function tablesByAlias(sql: string): Map<string, string> {
  const tables = new Map<string, string>();
  for (const [, table, alias] of sql.matchAll(/\b(?:FROM|JOIN)\s+`?(\w+)`?(?:\s+(?:AS\s+)?`?(\w+)`?)?/gi)) {
    tables.set(table, table);
    if (alias) tables.set(alias, table);
  }
  return tables;
}

jest.setTimeout(120_000);

describe("EXPLAIN of the reads on a seeded MariaDB", () => {
  let database: ScratchDatabase;
  let t: TestApp;
  let explainer: mysql.Connection;
  let capturing: Statement[] | null = null;
  let owner: string;
  let admin: string;
  let accountId: string;
  let domainIds: string[];

  beforeAll(async () => {
    database = await createScratchDatabase("mariadb");
    await seed(database.url, { domains: 2000, accounts: 20, auditPerDomain: 10, dueWithinSeconds: 3600, webhooksPerAccount: 1, deliveriesPerEndpoint: 20, certificates: 200, revoked: 100 }, entities);
    explainer = await mysql.createConnection({ uri: database.url, timezone: "Z" });
    await explainer.query(`ANALYZE TABLE ${LARGE_TABLES.map((table) => `\`${table}\``).join(", ")}`);
    const [[first]] = (await explainer.query("SELECT accountId FROM domains ORDER BY id LIMIT 1")) as unknown as [{ accountId: string }[]];
    accountId = first.accountId;
    t = await startTestApp({
      database,
      env: { ADMIN_USER_IDS: "ops-admin", WEBHOOK_WORKER_ENABLED: "false", MAX_DOMAINS_PER_ACCOUNT: "1000" },
      overrides: { onQuery: (sql: string, parameters?: unknown[]) => capturing?.push({ sql, parameters: parameters ?? [] }) },
    });
    owner = await t.token(accountId);
    admin = await t.token("ops-admin");
    const listed = await t.gql(`{ domains(first: 3) { nodes { id } } }`, {}, { token: owner });
    domainIds = listed.body.data.domains.nodes.map((node: { id: string }) => node.id);
  });
  afterAll(async () => {
    await explainer?.end();
    await t?.close();
    await database?.drop();
  });

  /** The SELECTs one request sends, in order. */
  async function statementsOf(query: string, variables: Record<string, unknown>, token: string): Promise<Statement[]> {
    capturing = [];
    try {
      const result = await t.gql(query, variables, { token });
      expect(result.body.errors).toBeUndefined();
      return capturing.filter((statement) => /^\s*(\(\s*)?SELECT\b/i.test(statement.sql));
    } finally {
      capturing = null;
    }
  }

  /** Plan rows that read every row of a large table. */
  async function fullScans(statements: Statement[]): Promise<string[]> {
    const found: string[] = [];
    for (const { sql, parameters } of statements) {
      const [plan] = (await explainer.query(`EXPLAIN ${sql}`, parameters)) as unknown as [PlanRow[]];
      const tables = tablesByAlias(sql);
      for (const row of plan) {
        const table = row.table && (tables.get(row.table) ?? row.table);
        if (row.type === "ALL" && table && LARGE_TABLES.includes(table)) found.push(`${table} scanned whole by: ${sql}`);
      }
    }
    expect(statements.length).toBeGreaterThan(0);
    return found;
  }

  const FRONTEND = `query { domains(first: 100) { totalCount nodes { id name unicodeName status verified lastCheck { outcome message hints servers { server answer values } }
    auditLog(first: 10) { totalCount edges { cursor node { id action message createdAt actor { type id email } } } pageInfo { hasNextPage endCursor } } }
    pageInfo { hasNextPage endCursor } } }`;
  const EVENTS = `query($order: AuditOrder, $after: String) { events(first: 50, order: $order, after: $after) { nodes { id action } pageInfo { endCursor } } }`;
  const ADMIN = `query($accountId: ID, $name: String, $status: DomainStatus) { adminDomains(first: 50, accountId: $accountId, name: $name, status: $status) { nodes { id name } } }`;

  const reads: [string, () => [string, Record<string, unknown>, string]][] = [
    ["the frontends' domains with their audit logs", () => [FRONTEND, {}, owner]],
    ["domain(id) with its audit log", () => [`query($id: ID!) { domain(id: $id) { ${DOMAIN_FIELDS} auditLog(first: 10) { totalCount nodes { id } } } }`, { id: domainIds[0] }, owner]],
    ["the events feed from its start", () => [EVENTS, { order: "OLDEST_FIRST" }, owner]],
    ["the events feed from its end", () => [EVENTS, { order: "NEWEST_FIRST" }, owner]],
    ["auditLog of one domain", () => [`query($id: ID!) { auditLog(domainId: $id, first: 50) { totalCount nodes { id } } }`, { id: domainIds[1] }, owner]],
    ["adminDomains unfiltered", () => [ADMIN, {}, admin]],
    ["adminDomains of one account", () => [ADMIN, { accountId }, admin]],
    ["adminDomains by name", () => [ADMIN, { name: "d12" }, admin]],
    ...["PENDING", "VERIFIED", "FAILED", "EXPIRED", "REVOKED"].map(
      (status): [string, () => [string, Record<string, unknown>, string]] => [`adminDomains in status ${status}`, () => [ADMIN, { status }, admin]],
    ),
  ];

  it.each(reads)("%s scans no large table whole", async (_, read) => {
    const statements = await statementsOf(...read());
    expect(statements.length).toBeGreaterThan(0);
    expect(await fullScans(statements)).toEqual([]);
  });

  it("adminDomains by a rare piece of a name reads the claims holding that piece, not every claim in order", async () => {
    const statements = await statementsOf(ADMIN, { name: "d1234." }, admin);
    const walks: string[] = [];
    for (const { sql, parameters } of statements) {
      const [plan] = (await explainer.query(`EXPLAIN ${sql}`, parameters)) as unknown as [PlanRow[]];
      const tables = tablesByAlias(sql);
      for (const row of plan) {
        const table = row.table && (tables.get(row.table) ?? row.table);
        // "index" is a walk of a whole index: the plan a substring search has without the pieces.
        if (table === "domains" && (row.type === "ALL" || row.type === "index")) walks.push(`${row.type} on domains by: ${sql}`);
      }
    }
    expect(statements.some((statement) => /domain_name_grams/.test(statement.sql))).toBe(true);
    expect(walks).toEqual([]);
  });

  it("the events feed continued from a cursor scans no large table whole", async () => {
    const firstPage = await t.gql(EVENTS, { order: "OLDEST_FIRST" }, { token: owner });
    const statements = await statementsOf(EVENTS, { order: "OLDEST_FIRST", after: firstPage.body.data.events.pageInfo.endCursor }, owner);
    expect(await fullScans(statements)).toEqual([]);
  });

  it.each(["EXPIRED", "VERIFIED"])("adminDomains in status %s reads no claim's row to turn it down, and pages on from a cursor", async (status) => {
    const statements = await statementsOf(ADMIN, { status }, admin);
    const plans: string[] = [];
    for (const { sql, parameters } of statements.filter((statement) => /ORDER BY/i.test(statement.sql))) {
      const [plan] = (await explainer.query(`EXPLAIN ${sql}`, parameters)) as unknown as [(PlanRow & { Extra: string | null })[]];
      plans.push(...plan.map((row) => `${row.type} ${row.key} ${row.Extra}`));
    }
    // A walk of the (createdAt, id) order that reads each row to test its status read ten rows per
    // claim listed when a tenth match: the walk must find the status in the index, or the
    // optimizer must start from the status index instead (what it prefers on a small table).
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatch(/^(index IDX_domains_created_status .*Using index|range IDX_domains_status_)/);
    const PAGE = `query($status: DomainStatus, $after: String) { adminDomains(first: 20, status: $status, after: $after) { nodes { id status } pageInfo { hasNextPage endCursor } } }`;
    const whole = (await t.gql(PAGE.replace("first: 20", "first: 40"), { status }, { token: admin })).body.data.adminDomains;
    const first = (await t.gql(PAGE, { status }, { token: admin })).body.data.adminDomains;
    const second = (await t.gql(PAGE, { status, after: first.pageInfo.endCursor }, { token: admin })).body.data.adminDomains;
    expect(whole.nodes).toHaveLength(40);
    expect([...first.nodes, ...second.nodes]).toEqual(whole.nodes);
    expect(whole.nodes.every((node: { status: string }) => node.status === status)).toBe(true);
    expect(first.pageInfo.hasNextPage).toBe(true);
  });

  it("a group of checks locks the claims of its names through the name index, never by walking every claim", async () => {
    // 600 names of 2,000 analyzed claims: where MariaDB prefers the primary key walk here. On a table whose
    // statistics lag a bulk insert it did so for 7 names of 3,000, during a sweep.
    const [rows] = (await explainer.query("SELECT name FROM domains ORDER BY id LIMIT 600")) as unknown as [{ name: string }[]];
    capturing = [];
    try {
      await t.app.db.transaction((manager) => t.app.domainStore.lockClaimsOfNames(manager, rows.map((row) => row.name)));
      const [statement] = capturing.filter((s) => /FOR UPDATE/i.test(s.sql));
      const [plan] = (await explainer.query(`EXPLAIN ${statement.sql}`, statement.parameters)) as unknown as [PlanRow[]];
      // A walk of the primary key in id order under FOR UPDATE locks every claim until the group commits.
      expect(plan.map((row) => `${row.type} ${row.key}`)).toEqual(["range IDX_domains_name"]);
    } finally {
      capturing = null;
    }
  });

  describe("the names under a SUBTREE domain", () => {
    const CLAIM = `mutation($name: String!, $scope: DomainScope) { claimDomain(input: { name: $name, scope: $scope }) { domain { id } userErrors { code } } }`;
    let tree: string;
    let treeId: string;

    beforeAll(async () => {
      // A SUBTREE claim under one seeded name, with two names under it: a small range of a large table.
      const [[seeded]] = (await explainer.query("SELECT name FROM domains WHERE accountId = ? ORDER BY id LIMIT 1", [accountId])) as unknown as [{ name: string }[]];
      tree = `tree.${seeded.name}`;
      for (const [name, scope] of [[tree, "SUBTREE"], [`a.${tree}`, "EXACT"], [`b.${tree}`, "EXACT"]]) {
        const claimed = (await t.gql(CLAIM, { name, scope }, { token: owner })).body.data.claimDomain;
        expect(claimed.userErrors).toEqual([]);
        if (name === tree) treeId = claimed.domain.id;
      }
    });

    /** The SELECTs `work` sends through the app's own database, in one transaction as the services send them. */
    async function statementsIn(work: (store: SqlDomainStore, manager: EntityManager) => Promise<unknown>) {
      const store = new SqlDomainStore(t.app.db, systemClock);
      capturing = [];
      try {
        await t.app.dataSource.transaction((manager) => work(store, manager));
        return capturing.filter((statement) => /^\s*SELECT\b/i.test(statement.sql));
      } finally {
        capturing = null;
      }
    }

    const asksReversedRange = (statements: Statement[]) => statements.some((statement) => /WHERE[\s\S]*nameReversed/.test(statement.sql));

    /**
     * Plan rows on domains that read all of it, in its rows (ALL) or in a whole index (index), and
     * those of a statement asking for the names under a domain that reach them other than by a
     * reversed-name index (a suffix match on `name` can only be read by the account, or not at all).
     */
    async function walksOfDomains(statements: Statement[]): Promise<string[]> {
      const walks: string[] = [];
      for (const { sql, parameters } of statements) {
        const [plan] = (await explainer.query(`EXPLAIN ${sql}`, parameters)) as unknown as [PlanRow[]];
        const tables = tablesByAlias(sql);
        const under = asksReversedRange([{ sql, parameters }]);
        for (const row of plan) {
          const table = row.table && (tables.get(row.table) ?? row.table);
          if (table === "domains" && (row.type === "ALL" || row.type === "index")) walks.push(`${row.type} on domains by: ${sql}`);
          else if (table === "domains" && under && !/name_reversed/.test(row.key ?? "")) walks.push(`${row.key} on domains by: ${sql}`);
        }
      }
      expect(statements.length).toBeGreaterThan(0);
      return walks;
    }

    it("the count of names verified under it by other accounts reads a range of the reversed names, across every account", async () => {
      const statements = await statementsIn((store, manager) => store.countVerifiedUnderElsewhere(manager, "someone-else", tree));
      expect(asksReversedRange(statements)).toBe(true);
      expect(await walksOfDomains(statements)).toEqual([]);
    });

    it("locking the account's claims under it reads a range of the account's reversed names", async () => {
      const statements = await statementsIn(async (store, manager) => {
        expect((await store.lockClaimsUnder(manager, accountId, tree)).map((d) => d.name).sort()).toEqual([`a.${tree}`, `b.${tree}`]);
      });
      expect(asksReversedRange(statements)).toBe(true);
      expect(await walksOfDomains(statements)).toEqual([]);
    });

    it("an API key scoped to it lists and counts its names without a scan", async () => {
      const CREATE_KEY = `mutation($domainId: ID) { createApiKey(input: { name: "tree key", domainId: $domainId }) { secret userErrors { code } } }`;
      // Verified as a check would leave it: a key is scoped only to a VERIFIED domain, and no DNS answers here.
      await explainer.query("UPDATE domains SET status = 'VERIFIED', verifiedName = name, verifiedAt = NOW(3), lastCheckedAt = NOW(3) WHERE name = ?", [tree]);
      const created = (await t.gql(CREATE_KEY, { domainId: treeId }, { token: owner })).body.data.createApiKey;
      expect(created.userErrors).toEqual([]);
      const secret: string = created.secret;
      const statements = await statementsOf(`{ viewer { domainCount } domains(first: 10) { totalCount nodes { name } } }`, {}, secret);
      expect(asksReversedRange(statements)).toBe(true);
      expect(await fullScans(statements)).toEqual([]);
      expect(await walksOfDomains(statements)).toEqual([]);
    });
  });

  it("adminDomains counts nothing unless totalCount is asked for", async () => {
    const without = await statementsOf(ADMIN, {}, admin);
    expect(without.filter((s) => /COUNT\(/i.test(s.sql))).toEqual([]);
    const withCount = await statementsOf(`{ adminDomains(first: 50) { totalCount nodes { id } } }`, {}, admin);
    expect(withCount.filter((s) => /COUNT\(/i.test(s.sql))).toHaveLength(1);
  });
});
