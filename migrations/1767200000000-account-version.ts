import { MigrationInterface, QueryRunner, TableColumn } from "typeorm";

/**
 * A version column every change of an account bumps: a locking read is not replicated, so on a
 * multi-primary cluster two nodes' changes of one account only conflict when both write its row.
 * One added column with a constant default, so the DDL is brief even where it stalls a cluster.
 */
export class AccountVersion1767200000000 implements MigrationInterface {
  name = "AccountVersion1767200000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn("accounts", new TableColumn({ name: "version", type: "integer", default: 0 }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn("accounts", "version");
  }
}
