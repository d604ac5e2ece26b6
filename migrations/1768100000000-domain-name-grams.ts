import { MigrationInterface, QueryRunner, Table, TableIndex } from "typeorm";
import { gramsOf } from "../src/domains/name-grams";

/** Claims read per batch of the backfill: each batch is one INSERT, small enough to replicate as one write set. */
const BATCH = 1_000;

/**
 * The three-letter pieces of every claim's name, so the admin search by substring reads the
 * claims holding its rarest piece instead of scanning all of them. Existing claims are filled
 * in batches by key: on a large database this takes a while (about 20 pieces per claim), but
 * no statement holds much at once, which matters on a cluster that replicates each as a whole.
 */
export class DomainNameGrams1768100000000 implements MigrationInterface {
  name = "DomainNameGrams1768100000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: "domain_name_grams",
        columns: [
          { name: "gram", type: "varchar", length: "3", isPrimary: true },
          { name: "domainId", type: "varchar", length: "36", isPrimary: true },
        ],
      }),
    );
    await queryRunner.createIndex("domain_name_grams", new TableIndex({ name: "IDX_domain_name_grams_domain", columnNames: ["domainId"] }));
    let after = "";
    for (;;) {
      const claims: { id: string; name: string }[] = await queryRunner.query(`SELECT id, name FROM domains WHERE id > ? ORDER BY id LIMIT ${BATCH}`, [after]);
      const rows = claims.flatMap((claim) => gramsOf(claim.name).map((gram) => [gram, claim.id]));
      if (rows.length) await queryRunner.query(`INSERT INTO domain_name_grams (gram, domainId) VALUES ${rows.map(() => "(?, ?)").join(", ")}`, rows.flat());
      if (claims.length < BATCH) break;
      after = claims[claims.length - 1].id;
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("domain_name_grams");
  }
}
