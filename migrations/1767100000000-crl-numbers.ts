import { MigrationInterface, QueryRunner, Table } from "typeorm";

/**
 * A counter row the CRL number is drawn from, so that instances sharing the database never sign
 * two different CRLs with one number (RFC 5280 5.2.3). It starts at 0; the first number drawn is
 * the time in milliseconds, which continues the numbers of earlier versions (their thisUpdate).
 * Schema API and a portable INSERT, so it runs on MySQL/MariaDB and SQLite.
 */
export class CrlNumbers1767100000000 implements MigrationInterface {
  name = "CrlNumbers1767100000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: "counters",
        columns: [
          { name: "name", type: "varchar", length: "64", isPrimary: true },
          { name: "value", type: "bigint", default: 0 },
        ],
      }),
    );
    await queryRunner.query("INSERT INTO counters (name, value) VALUES ('crlNumber', 0)");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("counters");
  }
}
