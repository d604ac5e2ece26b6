import { MigrationInterface, QueryRunner, TableColumn } from "typeorm";

/**
 * Keys created with ADMIN_SECRET get a column of their own instead of the sentinel creator
 * "admin-secret", which a JWT's "sub" could also be; and stored e-mails become trusted ones only.
 */
export class AdminSecretKeys1766000000008 implements MigrationInterface {
  name = "AdminSecretKeys1766000000008";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn("api_keys", new TableColumn({ name: "createdByAdminSecret", type: "boolean", default: 0 }));
    // ADMIN_SECRET acted in account "admin"; a JWT with sub "admin-secret" had an account of its own unless it also named that one.
    await queryRunner.query(
      `UPDATE api_keys SET createdByAdminSecret = ?, createdBy = NULL WHERE createdBy = 'admin-secret' AND accountId = 'admin' AND createdByAdmin = ?`,
      [true, true],
    );
    // Stored e-mails were kept whether or not the identity provider had verified them: none of them can be trusted now.
    await queryRunner.query(`UPDATE api_keys SET createdByEmail = NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE api_keys SET createdBy = 'admin-secret' WHERE createdByAdminSecret = ?`, [true]);
    await queryRunner.dropColumn("api_keys", "createdByAdminSecret");
  }
}
