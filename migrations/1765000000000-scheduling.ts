import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from "typeorm";

/** Columns the scheduler needs: the grace period, when each claim is due, and row leases between instances. */
export class Scheduling1765000000000 implements MigrationInterface {
  name = "Scheduling1765000000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const time = (name: string) => new TableColumn({ name, type: "datetime", precision: 3, isNullable: true });
    await queryRunner.addColumns("domains", [
      time("failingSince"),
      time("nextCheckAt"),
      new TableColumn({ name: "leaseOwner", type: "varchar", length: "64", isNullable: true }),
      time("leaseExpiresAt"),
    ]);
    await queryRunner.createIndices("domains", [
      new TableIndex({ name: "IDX_domains_next_check", columnNames: ["nextCheckAt"] }),
      new TableIndex({ name: "IDX_domains_status_checked", columnNames: ["status", "lastCheckedAt"] }),
      new TableIndex({ name: "IDX_domains_status_token_expiry", columnNames: ["status", "tokenExpiresAt"] }),
      new TableIndex({ name: "IDX_domains_status_updated", columnNames: ["status", "updatedAt"] }),
    ]);
    // Claims from before automatic checks are due at once; the first check spreads them out.
    await queryRunner.query(`UPDATE domains SET nextCheckAt = createdAt WHERE status IN ('PENDING', 'FAILED', 'VERIFIED')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of ["IDX_domains_status_updated", "IDX_domains_status_token_expiry", "IDX_domains_status_checked", "IDX_domains_next_check"]) {
      await queryRunner.dropIndex("domains", index);
    }
    await queryRunner.dropColumns("domains", ["leaseExpiresAt", "leaseOwner", "nextCheckAt", "failingSince"]);
  }
}
