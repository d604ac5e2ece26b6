import { MigrationInterface, QueryRunner, Table, TableIndex } from "typeorm";

/** Written with the schema API (not SQL) so the one file serves MySQL/MariaDB and SQLite. */
export class Initial1764000000000 implements MigrationInterface {
  name = "Initial1764000000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const json = queryRunner.connection.driver.normalizeType({ type: "simple-json" });
    const time = (name: string, nullable = false) => ({ name, type: "datetime", precision: 3, isNullable: nullable });

    await queryRunner.createTable(
      new Table({
        name: "accounts",
        columns: [{ name: "id", type: "varchar", length: "191", isPrimary: true }, time("createdAt")],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: "domains",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "accountId", type: "varchar", length: "191" },
          { name: "name", type: "varchar", length: "253" },
          { name: "status", type: "varchar", length: "16" },
          { name: "token", type: "varchar", length: "64" },
          { name: "previousTokens", type: json },
          time("tokenExpiresAt"),
          { name: "verifiedName", type: "varchar", length: "253", isNullable: true },
          time("verifiedAt", true),
          time("lastCheckedAt", true),
          { name: "lastCheck", type: json, isNullable: true },
          time("createdAt"),
          time("updatedAt"),
        ],
        indices: [
          new TableIndex({ name: "UQ_domains_account_name", columnNames: ["accountId", "name"], isUnique: true }),
          new TableIndex({ name: "IDX_domains_account_created", columnNames: ["accountId", "createdAt", "id"] }),
          new TableIndex({ name: "IDX_domains_name", columnNames: ["name"] }),
          new TableIndex({ name: "UQ_domains_verified_name", columnNames: ["verifiedName"], isUnique: true }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: "audit_entries",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "accountId", type: "varchar", length: "191" },
          { name: "domainId", type: "varchar", length: "36", isNullable: true },
          { name: "domainName", type: "varchar", length: "253" },
          { name: "action", type: "varchar", length: "32" },
          { name: "actorType", type: "varchar", length: "16" },
          { name: "actorId", type: "varchar", length: "191", isNullable: true },
          { name: "actorEmail", type: "varchar", length: "320", isNullable: true },
          { name: "message", type: "text" },
          { name: "previousStatus", type: "varchar", length: "16", isNullable: true },
          { name: "newStatus", type: "varchar", length: "16", isNullable: true },
          { name: "checkResult", type: json, isNullable: true },
          { name: "requestId", type: "varchar", length: "128", isNullable: true },
          time("createdAt"),
        ],
        indices: [
          new TableIndex({ name: "IDX_audit_account_created", columnNames: ["accountId", "createdAt", "id"] }),
          new TableIndex({ name: "IDX_audit_domain_created", columnNames: ["domainId", "createdAt", "id"] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("audit_entries");
    await queryRunner.dropTable("domains");
    await queryRunner.dropTable("accounts");
  }
}
