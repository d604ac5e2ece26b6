import { DataSource } from "typeorm";
import { openDataSource } from "../../src/db/data-source";
import { entities } from "../../src/app/entities";
import { runMigrations } from "../../src/db/migrate";
import { Domain } from "../../src/domains/domain.entity";
import { DomainStatus } from "../../src/shared/domain-status";
import { STALE, TOKEN_LAPSED, hasEffectiveStatus } from "../../src/domains/status-rules";
import { RowRule, matches, toSql } from "../../src/shared/row-rule";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";

const at = new Date("2026-11-22T10:00:00.000Z");
const offsets = [-1, 0, 1];

/** Every status with token expiries and updates just before, at and just after the instant asked about. */
function table(): Domain[] {
  const rows: Domain[] = [];
  for (const status of Object.values(DomainStatus)) {
    for (const expiry of offsets) {
      for (const update of offsets) {
        const id = `${status}:${expiry}:${update}`;
        rows.push(
          Object.assign(new Domain(), {
            id,
            accountId: "rules",
            name: `${rows.length}.example.com`,
            nameReversed: `com.example.${rows.length}`,
            status,
            token: id,
            previousTokens: [],
            tokenIssuedAt: at,
            tokenExpiresAt: new Date(at.getTime() + expiry),
            verifiedName: null,
            verifiedAt: null,
            lastCheckedAt: null,
            lastCheck: null,
            failingSince: null,
            nextCheckAt: null,
            leaseOwner: null,
            leaseExpiresAt: null,
            tokenExpiryWarnedAt: null,
            createdAt: at,
            updatedAt: new Date(at.getTime() + update),
          }),
        );
      }
    }
  }
  return rows;
}

describe.each(DATABASE_FLAVORS)("domain rules on %s", (flavor) => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  const rows = table();

  beforeAll(async () => {
    const database = await createScratchDatabase(flavor);
    drop = () => database.drop();
    dataSource = await openDataSource(database.url, { entities });
    await runMigrations(dataSource);
    await dataSource.manager.insert(Domain, rows);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await drop?.();
  });

  const rules: [string, RowRule<DomainStatus, "tokenExpiresAt" | "updatedAt">][] = [
    ["TOKEN_LAPSED", TOKEN_LAPSED],
    ["STALE", STALE],
    ...Object.values(DomainStatus).map((s): [string, RowRule<DomainStatus, "tokenExpiresAt">] => [`hasEffectiveStatus(${s})`, hasEffectiveStatus(s)]),
  ];

  it.each(rules)("%s selects in SQL exactly the rows it matches in TypeScript", async (_name, rule) => {
    const { sql, params } = toSql(rule, "d", at, "rule");
    const selected = await dataSource.manager.createQueryBuilder(Domain, "d").select("d.id").where(sql, params).getMany();
    const expected = rows.filter((row) => matches(rule, row, at)).map((row) => row.id).sort();
    expect(selected.map((row) => row.id).sort()).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });
});
