import { MigrationInterface, QueryRunner, TableIndex } from "typeorm";

/**
 * The admin listing pages every account's claims newest first by (createdAt, id). Without an
 * index in that order the database sorts the whole table for each page of 50.
 */
export class AdminListingOrder1768000000000 implements MigrationInterface {
  name = "AdminListingOrder1768000000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex("domains", new TableIndex({ name: "IDX_domains_created", columnNames: ["createdAt", "id"] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex("domains", "IDX_domains_created");
  }
}
