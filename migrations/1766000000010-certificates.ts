import { MigrationInterface, QueryRunner, Table, TableIndex } from "typeorm";

/** Client certificates, issued for verified domains. Schema API only, so it runs on MySQL/MariaDB and SQLite. */
export class Certificates1766000000010 implements MigrationInterface {
  name = "Certificates1766000000010";

  async up(queryRunner: QueryRunner): Promise<void> {
    const time = (name: string, nullable = false) => ({ name, type: "datetime", precision: 3, isNullable: nullable });
    await queryRunner.createTable(
      new Table({
        name: "certificates",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "accountId", type: "varchar", length: "191" },
          { name: "domainId", type: "varchar", length: "36" },
          { name: "domainName", type: "varchar", length: "253" },
          { name: "serialNumber", type: "varchar", length: "40" },
          { name: "fingerprintSha256", type: "varchar", length: "64" },
          { name: "pem", type: "text" },
          time("notBefore"),
          time("notAfter"),
          time("revokedAt", true),
          { name: "revocationReason", type: "varchar", length: "32", isNullable: true },
          time("createdAt"),
        ],
        indices: [
          new TableIndex({ name: "UQ_certificates_serial", columnNames: ["serialNumber"], isUnique: true }),
          new TableIndex({ name: "UQ_certificates_fingerprint", columnNames: ["fingerprintSha256"], isUnique: true }),
          new TableIndex({ name: "IDX_certificates_account_created", columnNames: ["accountId", "createdAt", "id"] }),
          new TableIndex({ name: "IDX_certificates_domain_created", columnNames: ["domainId", "createdAt", "id"] }),
          new TableIndex({ name: "IDX_certificates_revoked", columnNames: ["revokedAt"] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("certificates");
  }
}
