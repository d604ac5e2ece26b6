import { DataSource } from "typeorm";
import { openDataSource } from "../../src/db/data-source";
import { entities } from "../../src/app/entities";
import { runMigrations } from "../../src/db/migrate";
import { Domain } from "../../src/domains/domain.entity";
import { DomainStatus } from "../../src/shared/domain-status";
import { STALE, TOKEN_LAPSED, hasEffectiveStatus } from "../../src/domains/status-rules";
import { RowRule, matches, toSql } from "../../src/shared/row-rule";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";
import { SqlDomainStore } from "../../src/domains/domain.store";
import { Database } from "../../src/db/database";
import { DomainScope, isUnder } from "../../src/shared/domain-scope";
import { systemClock } from "../../src/shared/clock";

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

/** Names near `example.com` in every way a range of reversed names could get wrong. */
const NEAR_EXAMPLE = [
  "example.com", "a.example.com", "b.a.example.com", "xn--bcher-kva.example.com", "badexample.com", "a.badexample.com",
  "x.example-a.com", "x.example0.com", "a.example.comm", "a.example.co", "example.com.evil.test", "a.example.org",
];

describe.each(DATABASE_FLAVORS)("the names under a domain on %s", (flavor) => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let store: SqlDomainStore;

  beforeAll(async () => {
    const database = await createScratchDatabase(flavor);
    drop = () => database.drop();
    dataSource = await openDataSource(database.url, { entities });
    await runMigrations(dataSource);
    store = new SqlDomainStore(new Database(dataSource), systemClock);
    // Each name claimed by "mine" and VERIFIED by "theirs", through the store's own insert.
    for (const [i, name] of NEAR_EXAMPLE.entries()) {
      for (const accountId of ["mine", "theirs"]) {
        const row = table()[0];
        const verified = accountId === "theirs";
        const id = `${accountId}-${String(i).padStart(2, "0")}`;
        await store.insert(dataSource.manager, { ...row, id, accountId, name, scope: DomainScope.EXACT, inheritedFromId: null, token: id, status: verified ? DomainStatus.VERIFIED : DomainStatus.PENDING, verifiedName: verified ? name : null });
      }
    }
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await drop?.();
  });

  it.each(["example.com", "a.example.com", "example-a.com", "com"])("under %s, the SQL range finds exactly what isUnder accepts", async (parent) => {
    const expected = NEAR_EXAMPLE.filter((name) => isUnder(name, parent)).sort();
    const locked = await dataSource.transaction((manager) => store.lockClaimsUnder(manager, "mine", parent));
    expect(locked.map((d) => d.name).sort()).toEqual(expected);
    expect(await store.countVerifiedUnderElsewhere(dataSource.manager, "mine", parent)).toBe(expected.length);
    expect(await store.countVerifiedUnderElsewhere(dataSource.manager, "theirs", parent)).toBe(0);
  });
});
