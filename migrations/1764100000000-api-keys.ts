import { MigrationInterface, QueryRunner, Table, TableIndex } from "typeorm";

/** API keys for integrations, stored as hashes. Schema API only, like the initial migration, so it runs on MySQL/MariaDB and SQLite. */
export class ApiKeys1764100000000 implements MigrationInterface {
  name = "ApiKeys1764100000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const boolean = queryRunner.connection.driver.normalizeType({ type: "boolean" });
    const time = (name: string, nullable = false) => ({ name, type: "datetime", precision: 3, isNullable: nullable });
    await queryRunner.createTable(
      new Table({
        name: "api_keys",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "accountId", type: "varchar", length: "191" },
          { name: "name", type: "varchar", length: "100" },
          { name: "prefix", type: "varchar", length: "16" },
          { name: "secretHash", type: "varchar", length: "64" },
          { name: "domainId", type: "varchar", length: "36", isNullable: true },
          { name: "domainName", type: "varchar", length: "253", isNullable: true },
          { name: "createdBy", type: "varchar", length: "191", isNullable: true },
          { name: "createdByEmail", type: "varchar", length: "320", isNullable: true },
          { name: "createdByAdmin", type: boolean },
          time("createdAt"),
          time("lastUsedAt", true),
          time("revokedAt", true),
        ],
        indices: [
          new TableIndex({ name: "UQ_api_keys_secret_hash", columnNames: ["secretHash"], isUnique: true }),
          new TableIndex({ name: "IDX_api_keys_account_created", columnNames: ["accountId", "createdAt", "id"] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("api_keys");
  }
}
