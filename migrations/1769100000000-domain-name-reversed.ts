import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from "typeorm";
import { reversedName } from "../src/shared/domain-scope";

/** Claims rewritten per batch of the backfill: each batch is one UPDATE, small enough to replicate as one write set. */
const BATCH = 1_000;

/**
 * Each claim's name with its labels reversed, indexed alone and after the account, so the names
 * under a SUBTREE claim are a range of an index instead of a suffix match over every claim.
 * The column is added nullable, filled in batches by key (computed here, so SQLite runs the same
 * code), then made NOT NULL, so that a writer forgetting it fails loudly rather than hiding a claim
 * from every subtree query. The indexes come last, built once over the filled column.
 */
export class DomainNameReversed1769100000000 implements MigrationInterface {
  name = "DomainNameReversed1769100000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const column = { name: "nameReversed", type: "varchar", length: "253" };
    await queryRunner.addColumn("domains", new TableColumn({ ...column, isNullable: true }));
    let after = "";
    for (;;) {
      const claims: { id: string; name: string }[] = await queryRunner.query(`SELECT id, name FROM domains WHERE id > ? ORDER BY id LIMIT ${BATCH}`, [after]);
      if (claims.length) {
        const cases = claims.map(() => "WHEN ? THEN ?").join(" ");
        await queryRunner.query(`UPDATE domains SET nameReversed = CASE id ${cases} END WHERE id IN (${claims.map(() => "?").join(", ")})`, [
          ...claims.flatMap((claim) => [claim.id, reversedName(claim.name)]),
          ...claims.map((claim) => claim.id),
        ]);
      }
      if (claims.length < BATCH) break;
      after = claims[claims.length - 1].id;
    }
    await queryRunner.changeColumn("domains", "nameReversed", new TableColumn({ ...column, isNullable: false }));
    await queryRunner.createIndex("domains", new TableIndex({ name: "IDX_domains_name_reversed", columnNames: ["nameReversed"] }));
    await queryRunner.createIndex("domains", new TableIndex({ name: "IDX_domains_account_name_reversed", columnNames: ["accountId", "nameReversed"] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex("domains", "IDX_domains_account_name_reversed");
    await queryRunner.dropIndex("domains", "IDX_domains_name_reversed");
    await queryRunner.dropColumn("domains", "nameReversed");
  }
}
