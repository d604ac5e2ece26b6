/**
 * Two server processes run the scheduler at once on one MariaDB over a few thousand domains
 * served by a real BIND 9: every domain is checked exactly once per round, by one of them.
 */
import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import type { DataSource } from "typeorm";
import { openDataSource } from "../../src/db/data-source";
import { entities } from "../../src/app/entities";
import { runMigrations } from "../../src/db/migrate";
import { Domain } from "../../src/domains/domain.entity";
import { DomainStatus } from "../../src/shared/domain-status";
import { expectedTxtValue } from "../../src/verification/records";
import { startBind9, type Bind9Server } from "../support/bind9";
import { ScratchDatabase, createScratchDatabase } from "../support/databases";
import { ListeningProcess, spawnInstance } from "../support/instance-process";
import { reversedName } from "../../src/shared/domain-scope";

const ZONE = "fleet.test";

/** What each generated domain starts as, and what a check of it must find. */
const GROUPS = [
  { prefix: "kept", count: 1500, status: DomainStatus.VERIFIED, published: true },
  { prefix: "gone", count: 500, status: DomainStatus.VERIFIED, published: false },
  { prefix: "new", count: 700, status: DomainStatus.PENDING, published: true },
  { prefix: "absent", count: 300, status: DomainStatus.PENDING, published: false },
] as const;
const TOTAL = GROUPS.reduce((sum, group) => sum + group.count, 0);

type Instance = ListeningProcess;

/** `node src/main.ts` as production runs it, on loopback, with the scheduler on. */
async function startInstance(databaseUrl: string, dnsServer: string): Promise<Instance> {
  return spawnInstance(databaseUrl, {
    DNS_SERVERS: dnsServer,
    DNS_TIMEOUT_MS: "2000",
    DNS_CONCURRENCY: "20",
    SCHEDULER_ENABLED: "true",
    SCHEDULER_INTERVAL_SECONDS: "0.2",
    SCHEDULER_BATCH_SIZE: "50",
    // Long enough that nothing falls due twice while a round runs.
    REVERIFY_INTERVAL_HOURS: "1",
  });
}

async function metric(instance: Instance, name: string): Promise<number> {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name} `) || line.startsWith(name.includes("{") ? name : `${name}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

describe("two instances sharing one MariaDB", () => {
  let database: ScratchDatabase;
  let dns: Bind9Server;
  let dataSource: DataSource;
  const instances: Instance[] = [];
  const tokens = new Map<string, string>();

  /**
   * Checks per domain, whatever they concluded: on a loaded machine a lookup can run into its
   * timeout, and an INCONCLUSIVE check is still the one check of that round (as checksRecorded counts it).
   */
  const checksPerDomain = async (): Promise<Map<number, number>> => {
    const rows: { checks: string | number; domains: string | number }[] = await dataSource.query(
      `SELECT checks, COUNT(*) AS domains FROM (
         SELECT domainId, COUNT(*) AS checks FROM audit_entries
         WHERE action LIKE 'VERIFICATION_%' GROUP BY domainId
       ) per_domain GROUP BY checks`,
    );
    return new Map(rows.map((row) => [Number(row.checks), Number(row.domains)]));
  };
  const checksRecorded = async () =>
    Number((await dataSource.query(`SELECT COUNT(*) AS n FROM audit_entries WHERE action LIKE 'VERIFICATION_%'`))[0].n);
  const waitForChecks = async (expected: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while ((await checksRecorded()) < expected) {
      if (Date.now() > deadline) throw new Error(`only ${await checksRecorded()} of ${expected} checks recorded`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    const records: string[] = [];
    for (const group of GROUPS) {
      for (let i = 0; i < group.count; i++) {
        const name = `${group.prefix}${i}.${ZONE}`;
        const token = randomBytes(32).toString("hex");
        tokens.set(name, token);
        if (group.published) records.push(`_dnsproof-verify.${group.prefix}${i} TXT "${expectedTxtValue(token)}"`);
      }
    }
    [database, dns] = await Promise.all([createScratchDatabase("mariadb"), startBind9({ zones: [{ name: ZONE, records }] })]);
    dataSource = await openDataSource(database.url, { entities });
    await runMigrations(dataSource);

    // Claims go straight into the table: thousands through GraphQL would only measure GraphQL.
    const now = Date.now();
    const rows = GROUPS.flatMap((group) =>
      Array.from({ length: group.count }, (_, i) => {
        const name = `${group.prefix}${i}.${ZONE}`;
        const verified = group.status === DomainStatus.VERIFIED;
        return {
          id: uuidv7(),
          accountId: `fleet-${group.prefix}${i}`,
          name,
          nameReversed: reversedName(name),
          status: group.status,
          token: tokens.get(name)!,
          previousTokens: [],
          tokenIssuedAt: new Date(now),
          tokenExpiresAt: new Date(now + 30 * 86_400_000),
          verifiedName: verified ? name : null,
          verifiedAt: verified ? new Date(now - 86_400_000) : null,
          lastCheckedAt: verified ? new Date(now - 86_400_000) : null,
          lastCheck: null,
          failingSince: null,
          nextCheckAt: new Date(now - 1000 - Math.floor(Math.random() * 60_000)),
          leaseOwner: null,
          leaseExpiresAt: null,
          createdAt: new Date(now - 2 * 86_400_000),
          updatedAt: new Date(now - 86_400_000),
        };
      }),
    );
    for (let i = 0; i < rows.length; i += 500) {
      await dataSource.createQueryBuilder().insert().into(Domain).values(rows.slice(i, i + 500)).execute();
    }
  }, 60_000);

  afterAll(async () => {
    for (const instance of instances) if (instance.child.exitCode === null) instance.child.kill("SIGKILL");
    await dataSource?.destroy();
    await Promise.all([dns?.stop(), database?.drop()]);
  });

  it(`checks each of ${TOTAL} domains exactly once per round, spread over both instances`, async () => {
    instances.push(...(await Promise.all([startInstance(database.url, dns.server), startInstance(database.url, dns.server)])));

    const roundOneStarted = Date.now();
    await waitForChecks(TOTAL, 45_000);
    const roundOneSeconds = (Date.now() - roundOneStarted) / 1000;
    expect(await checksPerDomain()).toEqual(new Map([[1, TOTAL]]));

    const leased = await Promise.all(instances.map((instance) => metric(instance, "dnsproof_scheduler_leased_domains_total")));
    expect(leased.every((count) => count > 0)).toBe(true);
    expect(leased[0] + leased[1]).toBe(TOTAL);

    const outcomes: { name: string; status: string; failingSince: Date | null }[] = await dataSource
      .createQueryBuilder(Domain, "d")
      .select(["d.name", "d.status", "d.failingSince"])
      .getMany();
    const summary: Record<string, Record<string, number>> = {};
    for (const domain of outcomes) {
      const group = (summary[domain.name.match(/^[a-z]+/)![0]] ??= {});
      const state = domain.failingSince ? `${domain.status}, failing` : domain.status;
      group[state] = (group[state] ?? 0) + 1;
    }
    expect(summary).toEqual({ kept: { VERIFIED: 1500 }, gone: { "VERIFIED, failing": 500 }, new: { VERIFIED: 700 }, absent: { PENDING: 300 } });

    // The next round: everything falls due again at once.
    await dataSource.query(`UPDATE domains SET nextCheckAt = ? WHERE status IN ('VERIFIED', 'PENDING')`, [new Date(Date.now() - 1000)]);
    const roundTwoStarted = Date.now();
    await waitForChecks(2 * TOTAL, 45_000);
    const roundTwoSeconds = (Date.now() - roundTwoStarted) / 1000;
    expect(await checksPerDomain()).toEqual(new Map([[2, TOTAL]]));
    // Not even an unrecorded second lookup: DNS was asked exactly once per domain and round, and
    // a check that found no record of the claim also asked the two persistent-record hosts
    // (`_dnsproof-persist.<name>` and `_dnsproof-persist.fleet.test`) once each.
    const lookups = await Promise.all(instances.map((instance) => metric(instance, "dnsproof_dns_lookups_total")));
    const failed = Number((await dataSource.query(`SELECT COUNT(*) AS n FROM audit_entries WHERE action = 'VERIFICATION_FAILED'`))[0].n);
    expect(failed).toBeGreaterThanOrEqual(2 * 300);
    expect(lookups[0] + lookups[1]).toBe(2 * TOTAL + 2 * failed);
    const skipped = await Promise.all(instances.map((instance) => metric(instance, 'dnsproof_scheduler_checks_total{result="SKIPPED"}')));
    expect(skipped).toEqual([0, 0]);

    const stopping = instances.map((instance) => {
      instance.child.kill("SIGTERM");
      return instance.exited;
    });
    expect(await Promise.all(stopping)).toEqual([0, 0]);
    expect(Number((await dataSource.query(`SELECT COUNT(*) AS n FROM domains WHERE leaseOwner IS NOT NULL`))[0].n)).toBe(0);

    console.info(
      `${TOTAL} domains, 2 instances: round 1 in ${roundOneSeconds.toFixed(1)} s (${Math.round(TOTAL / roundOneSeconds)} checks/s), ` +
        `round 2 in ${roundTwoSeconds.toFixed(1)} s (${Math.round(TOTAL / roundTwoSeconds)} checks/s); leased per instance: ${leased.join(" / ")}`,
    );
  }, 120_000);
});
