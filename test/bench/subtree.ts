/**
 * What the names under a SUBTREE domain cost at scale. `npm run bench:subtree` (needs the local
 * MariaDB). Makes SUBTREE_N VERIFIED claims over 100 accounts, spread under 1,000 parents, in a
 * scratch database, then times, in the same run, the suffix match the store used to send
 * (`verifiedName LIKE '%.<parent>'`, which no index serves) and the store's own count over the
 * reversed-name index, for one parent. The claims are written as before the reversed-name
 * migration, which then runs on them timed: its backfill is what the counts are read through.
 * Figures and ratios, not assertions; bounded by SUBTREE_N.
 *
 *   SUBTREE_N=1000000 npm run bench:subtree   # the scale (about a minute to seed here)
 */
import "reflect-metadata";
import { performance } from "node:perf_hooks";
import mysql from "mysql2/promise";
import { createScratchDatabase } from "../support/databases";
import { openDataSource } from "../../src/db/data-source";
import { runMigrations } from "../../src/db/migrate";
import { entities } from "../../src/app/entities";
import { migrations } from "../../migrations";
import { Database } from "../../src/db/database";
import { SqlDomainStore } from "../../src/domains/domain.store";
import { systemClock } from "../../src/shared/clock";

const N = Number(process.env.SUBTREE_N ?? 200_000);
const PARENTS = 1_000;
const ROUNDS = Number(process.env.SUBTREE_ROUNDS ?? 20);
/** The parent every timed query asks about: claims under it are N / PARENTS. */
const PARENT = "z7.bench.test";

/** Claims as an older dnsproof wrote them, without nameReversed: the migration fills it. */
async function seedClaims(url: string): Promise<void> {
  const conn = await mysql.createConnection({ uri: url, timezone: "Z" });
  try {
    // Name d<seq>.z<seq mod PARENTS>.bench.test.
    for (let done = 0; done < N; done += 250_000) {
      const count = Math.min(250_000, N - done);
      await conn.query(
        `INSERT INTO domains (id, accountId, name, status, token, previousTokens, tokenIssuedAt, tokenExpiresAt, verifiedName, verifiedAt, createdAt, updatedAt)
         SELECT CONCAT('00000000-0000-4000-8000-', LPAD(HEX(seq), 12, '0')), CONCAT('bench-', seq MOD 100), n, 'VERIFIED', SHA2(n, 256), '[]',
           NOW(3), NOW(3) + INTERVAL 30 DAY, n, NOW(3), NOW(3), NOW(3)
         FROM (SELECT seq, CONCAT('d', seq, '.z', seq MOD ${PARENTS}, '.bench.test') AS n
               FROM seq_${done}_to_${done + count - 1}) s`,
      );
    }
  } finally {
    await conn.end();
  }
}

/** The median of `ROUNDS` timings of `run`, in milliseconds, and what it answered. */
async function timed(run: () => Promise<number>): Promise<{ ms: number; answer: number }> {
  const times: number[] = [];
  let answer = -1;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    answer = await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], answer };
}

async function main(): Promise<void> {
  console.log(`subtree benchmark: N=${N} VERIFIED claims under ${PARENTS} parents, ${ROUNDS} rounds each, median shown\n`);
  const database = await createScratchDatabase("mariadb");
  const dataSource = await openDataSource(database.url, { entities });
  try {
    await runMigrations(dataSource);
    // Back to just before the reversed-name migration, however many came after it.
    const later = migrations.slice(migrations.findIndex((m) => m.name === "DomainNameReversed1769100000000"));
    for (const _ of later) await dataSource.undoLastMigration();
    const t0 = performance.now();
    await seedClaims(database.url);
    console.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const t1 = performance.now();
    const applied = await runMigrations(dataSource);
    console.log(`${applied.join(", ")} (its backfill and indexes) took ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    await dataSource.query("ANALYZE TABLE domains");
    const store = new SqlDomainStore(new Database(dataSource), systemClock);
    const suffix = await timed(async () => {
      const [row] = await dataSource.query("SELECT COUNT(*) AS n FROM domains WHERE verifiedName LIKE ? ESCAPE '!' AND accountId <> ?", [`%.${PARENT}`, "bench-0"]);
      return Number(row.n);
    });
    const range = await timed(() => store.countVerifiedUnderElsewhere(dataSource.manager, "bench-0", PARENT));
    console.log(`suffix match (before): ${suffix.ms.toFixed(2)} ms, counted ${suffix.answer}`);
    console.log(`reversed-name range (now): ${range.ms.toFixed(2)} ms, counted ${range.answer}`);
    console.log(`ratio before/now: ${(suffix.ms / range.ms).toFixed(1)}x${suffix.answer === range.answer ? "" : "  (THE COUNTS DIFFER)"}`);
  } finally {
    await dataSource.destroy();
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
