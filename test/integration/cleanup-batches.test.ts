import mysql from "mysql2/promise";
import { ManualClock } from "../../src/shared/clock";
import { AuditAction } from "../../src/audit/audit.types";
import { CLEANUP_ROWS_PER_TRANSACTION } from "../../src/admin/maintenance";
import { TestApp, startTestApp } from "../support/test-app";
import { seedStaleClaims, staleAccountOf, staleClaimId } from "../support/stale-claims";

/**
 * Cleanup at a few thousand claims on MariaDB: every stale claim goes, each with its audit
 * entry and the webhook deliveries that entry asks for, in transactions of many claims, while
 * the accounts those claims belong to go on claiming without waiting for cleanup's locks.
 */
const TAG = "c1ea0001";
const STALE = 3000;
const LAPSED_LONG_AGO = 400;
const LAPSED_RECENTLY = 300;
const ACCOUNTS = 50;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { created userErrors { code } domain { id } } }`;

jest.setTimeout(120_000);

describe("cleanupDomains in batches on MariaDB", () => {
  const clock = new ManualClock("2026-11-22T10:00:00.000Z");
  let t: TestApp;
  let sql: mysql.Connection;
  const account = (n: number) => staleAccountOf(TAG, n, ACCOUNTS);

  beforeAll(async () => {
    t = await startTestApp({
      db: "mariadb",
      overrides: { clock },
      env: { ADMIN_USER_IDS: "ops-admin", MAX_DOMAINS_PER_ACCOUNT: "100000", WEBHOOK_WORKER_ENABLED: "false", WEBHOOK_ALLOW_PRIVATE: "true" },
    });
    sql = await mysql.createConnection({ uri: t.database.url, timezone: "Z" });
    await seedStaleClaims(t.database.url, {
      tag: TAG,
      stale: STALE,
      lapsedLongAgo: LAPSED_LONG_AGO,
      lapsedRecently: LAPSED_RECENTLY,
      accounts: ACCOUNTS,
      now: clock.now(),
    });
  });
  afterAll(async () => {
    await sql?.end();
    await t?.close();
  });

  const count = async (query: string, params: unknown[] = []) => {
    const [[row]] = (await sql.query(query, params)) as unknown as [{ n: number }[]];
    return Number(row.n);
  };

  it("deletes every stale claim with its entry, webhooks included, while a claim in a stale claim's account goes through", async () => {
    // An endpoint in account 0 wants both entries cleanup writes: each of its claims' entries must get a delivery.
    const owner = await t.token(account(0));
    const endpoint = await t.gql(
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { userErrors { code } } }`,
      { input: { url: "http://127.0.0.1:9/hooks", actions: ["DOMAIN_REMOVED", "DOMAIN_EXPIRED"] } },
      { token: owner },
    );
    expect(endpoint.body.data.createWebhookEndpoint.userErrors).toEqual([]);
    let deliveriesDue = 0;
    t.app.webhooks.onDeliveriesDue(() => deliveriesDue++);

    // Cleanup's first deletion waits, inside its transaction, until a claim in the same account has gone through.
    let paused: (accountId: string) => void;
    const pausedIn = new Promise<string>((resolve) => (paused = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let removalsSeen = 0;
    t.app.audit.addListener(async (_manager, entries) => {
      const entry = entries.find((e) => e.action === AuditAction.DOMAIN_REMOVED);
      if (!entry || removalsSeen++ > 0) return;
      paused(entry.accountId);
      await released;
    });

    // The seed writes claims without their name pieces; give the stale ones some, which cleanup must delete with them.
    await sql.query(`INSERT INTO domain_name_grams (gram, domainId) SELECT 'zzz', id FROM domains WHERE id LIKE ? AND status IN ('EXPIRED', 'REVOKED')`, [`${TAG}-%`]);
    const piecesBefore = await count(`SELECT COUNT(*) AS n FROM domain_name_grams WHERE domainId LIKE ?`, [`${TAG}-%`]);
    expect(piecesBefore).toBeGreaterThan(0);

    const admin = await t.token("ops-admin");
    const cleanup = t.gql(`mutation { cleanupDomains { expired deleted } }`, {}, { token: admin, headers: { "x-request-id": "cleanup-batches" } });
    const accountId = await pausedIn;
    const concurrent = t.gql(CLAIM, { name: `during-cleanup.${TAG}.example.com` }, { token: await t.token(accountId) });
    const claimed = await Promise.race([concurrent, new Promise<"waited">((resolve) => setTimeout(() => resolve("waited"), 10_000))]);
    release();
    expect(claimed).not.toBe("waited");
    expect((claimed as Awaited<typeof concurrent>).body.data.claimDomain).toMatchObject({ created: true, userErrors: [] });

    const run = await cleanup;
    expect(run.body.errors).toBeUndefined();
    expect(run.body.data.cleanupDomains).toEqual({ expired: LAPSED_LONG_AGO + LAPSED_RECENTLY, deleted: STALE + LAPSED_LONG_AGO });

    const ours = `${TAG}-%`;
    expect(await count(`SELECT COUNT(*) AS n FROM domains WHERE id LIKE ? AND status <> 'EXPIRED'`, [ours])).toBe(0);
    expect(await count(`SELECT COUNT(*) AS n FROM domain_name_grams g WHERE g.domainId LIKE ? AND NOT EXISTS (SELECT 1 FROM domains d WHERE d.id = g.domainId)`, [ours])).toBe(0);
    expect(await count(`SELECT COUNT(*) AS n FROM domains WHERE id LIKE ?`, [ours])).toBe(LAPSED_RECENTLY);
    // Seeded last, the recently lapsed claims are the highest ids: every other claim is gone.
    expect(await count(`SELECT COUNT(*) AS n FROM domains WHERE id LIKE ? AND id < ?`, [ours, staleClaimId(TAG, STALE + LAPSED_LONG_AGO)])).toBe(0);
    expect(await count(`SELECT COUNT(*) AS n FROM domains WHERE accountId = ? AND status = 'PENDING'`, [accountId])).toBe(1);

    // One DOMAIN_REMOVED per deleted claim, one DOMAIN_EXPIRED per expired one, all by this run.
    const entries = (action: AuditAction) =>
      count(`SELECT COUNT(DISTINCT domainId) AS n FROM audit_entries WHERE action = ? AND domainId LIKE ? AND requestId = 'cleanup-batches' AND actorType = 'ADMIN'`, [
        action,
        ours,
      ]);
    expect(await entries(AuditAction.DOMAIN_REMOVED)).toBe(STALE + LAPSED_LONG_AGO);
    expect(await entries(AuditAction.DOMAIN_EXPIRED)).toBe(LAPSED_LONG_AGO + LAPSED_RECENTLY);
    expect(await count(`SELECT COUNT(*) AS n FROM audit_entries WHERE domainId LIKE ?`, [ours])).toBe(STALE + 2 * LAPSED_LONG_AGO + LAPSED_RECENTLY);

    // Account 0's entries each got a delivery, written with them; the worker was told after the commits.
    const deliveries = await count(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE accountId = ?`, [account(0)]);
    const account0Entries = await count(`SELECT COUNT(*) AS n FROM audit_entries WHERE accountId = ? AND domainId LIKE ?`, [account(0), ours]);
    expect(account0Entries).toBeGreaterThan(0);
    expect(deliveries).toBe(account0Entries);
    expect(deliveriesDue).toBeGreaterThan(0);

    // Many claims per transaction: every transaction held one of account 0's claims (round-robin), and there were a few dozen, not thousands.
    const changed = STALE + 2 * LAPSED_LONG_AGO + LAPSED_RECENTLY;
    expect(deliveriesDue).toBeLessThanOrEqual(Math.ceil(changed / CLEANUP_ROWS_PER_TRANSACTION) + 2);

    expect((await t.gql(`mutation { cleanupDomains { expired deleted } }`, {}, { token: admin })).body.data.cleanupDomains).toEqual({ expired: 0, deleted: 0 });
  });
});
