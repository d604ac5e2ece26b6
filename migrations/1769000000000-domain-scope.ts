import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from "typeorm";

/**
 * A claim's scope (EXACT or SUBTREE) and the SUBTREE claim an inherited verification comes
 * through. Two added columns, one with a constant default, so every existing claim reads EXACT
 * and the DDL stays brief.
 */
export class DomainScope1769000000000 implements MigrationInterface {
  name = "DomainScope1769000000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns("domains", [
      new TableColumn({ name: "scope", type: "varchar", length: "16", default: "'EXACT'" }),
      new TableColumn({ name: "inheritedFromId", type: "varchar", length: "36", isNullable: true }),
    ]);
    await queryRunner.createIndex("domains", new TableIndex({ name: "IDX_domains_inherited_from", columnNames: ["inheritedFromId"] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex("domains", "IDX_domains_inherited_from");
    await queryRunner.dropColumn("domains", "inheritedFromId");
    await queryRunner.dropColumn("domains", "scope");
  }
}
