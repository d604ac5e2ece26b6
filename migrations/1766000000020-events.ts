import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from "typeorm";

/** Events (webhooks, subscriptions and the feed): audit entry reasons and grace ends, token expiry warnings, webhook endpoints and their deliveries. */
export class Events1766000000020 implements MigrationInterface {
  name = "Events1766000000020";

  async up(queryRunner: QueryRunner): Promise<void> {
    const boolean = queryRunner.connection.driver.normalizeType({ type: "boolean" });
    const json = queryRunner.connection.driver.normalizeType({ type: "simple-json" });
    const time = (name: string, nullable = false) => ({ name, type: "datetime", precision: 3, isNullable: nullable });
    await queryRunner.addColumns("audit_entries", [
      new TableColumn({ name: "reason", type: "varchar", length: "32", isNullable: true }),
      new TableColumn(time("graceEndsAt", true)),
    ]);
    await queryRunner.addColumn("domains", new TableColumn(time("tokenExpiryWarnedAt", true)));
    await queryRunner.createTable(
      new Table({
        name: "webhook_endpoints",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "accountId", type: "varchar", length: "191" },
          { name: "url", type: "varchar", length: "2048" },
          { name: "actions", type: json },
          { name: "domainId", type: "varchar", length: "36", isNullable: true },
          { name: "domainName", type: "varchar", length: "253", isNullable: true },
          { name: "secret", type: "varchar", length: "100" },
          { name: "previousSecret", type: "varchar", length: "100", isNullable: true },
          time("previousSecretExpiresAt", true),
          { name: "enabled", type: boolean },
          { name: "disabledReason", type: "varchar", length: "255", isNullable: true },
          time("failingSince", true),
          time("createdAt"),
          time("updatedAt"),
        ],
        indices: [new TableIndex({ name: "IDX_webhook_endpoints_account_created", columnNames: ["accountId", "createdAt", "id"] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: "webhook_deliveries",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "endpointId", type: "varchar", length: "36" },
          { name: "accountId", type: "varchar", length: "191" },
          { name: "entryId", type: "varchar", length: "36" },
          { name: "messageId", type: "varchar", length: "64" },
          { name: "status", type: "varchar", length: "16" },
          { name: "attempts", type: "integer" },
          time("nextAttemptAt", true),
          time("lastAttemptAt", true),
          { name: "lastResponseStatus", type: "integer", isNullable: true },
          { name: "lastError", type: "varchar", length: "500", isNullable: true },
          time("deliveredAt", true),
          { name: "attemptLog", type: json },
          { name: "leaseOwner", type: "varchar", length: "64", isNullable: true },
          time("leaseExpiresAt", true),
          time("createdAt"),
        ],
        indices: [
          new TableIndex({ name: "UQ_webhook_deliveries_endpoint_entry", columnNames: ["endpointId", "entryId"], isUnique: true }),
          new TableIndex({ name: "IDX_webhook_deliveries_endpoint_created", columnNames: ["endpointId", "createdAt", "id"] }),
          new TableIndex({ name: "IDX_webhook_deliveries_due", columnNames: ["status", "nextAttemptAt"] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("webhook_deliveries");
    await queryRunner.dropTable("webhook_endpoints");
    await queryRunner.dropColumn("domains", "tokenExpiryWarnedAt");
    await queryRunner.dropColumns("audit_entries", ["graceEndsAt", "reason"]);
  }
}
