import { MigrationInterface, QueryRunner, TableColumn } from "typeorm";

const DAY_MS = 86_400_000;

/**
 * Stores when each claim's token was issued. It used to be worked out as
 * tokenExpiresAt − TOKEN_TTL_DAYS, so changing the setting moved every claim's backoff ladder.
 * Existing rows get exactly that value once more, with the TOKEN_TTL_DAYS this process runs
 * with (30 by default): the best anyone knows about tokens issued before the column existed.
 */
export class TokenIssuedAt1767000000000 implements MigrationInterface {
  name = "TokenIssuedAt1767000000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const column = { name: "tokenIssuedAt", type: "datetime", precision: 3 };
    await queryRunner.addColumn("domains", new TableColumn({ ...column, isNullable: true }));
    const ttlSeconds = tokenTtlMs() / 1000;
    if (queryRunner.connection.driver.options.type === "better-sqlite3") {
      // SQLite keeps datetimes as UTC text with milliseconds; %f is seconds with them.
      await queryRunner.query(`UPDATE domains SET tokenIssuedAt = strftime('%Y-%m-%d %H:%M:%f', tokenExpiresAt, ?)`, [`-${ttlSeconds} seconds`]);
    } else {
      await queryRunner.query("UPDATE domains SET tokenIssuedAt = tokenExpiresAt - INTERVAL ? MICROSECOND", [Math.round(ttlSeconds * 1e6)]);
    }
    await queryRunner.changeColumn("domains", "tokenIssuedAt", new TableColumn({ ...column, isNullable: false }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn("domains", "tokenIssuedAt");
  }
}

/** TOKEN_TTL_DAYS as loadConfig reads it (it refused a bad value before any migration runs). */
function tokenTtlMs(): number {
  const days = Number(process.env.TOKEN_TTL_DAYS);
  return Number.isFinite(days) && days > 0 ? days * DAY_MS : 30 * DAY_MS;
}
