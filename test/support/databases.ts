import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { randomBytes } from "node:crypto";
import mysql from "mysql2/promise";

/** MariaDB/MySQL server the tests may create databases on; CI starts it on this address. */
export const MARIADB_SERVER_URL = process.env.TEST_MARIADB_URL ?? "mysql://root@127.0.0.1:3306";

export type DatabaseFlavor = "sqlite" | "mariadb";
export const DATABASE_FLAVORS: DatabaseFlavor[] = ["sqlite", "mariadb"];

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A database of its own for one test file: created now, dropped by drop(). */
export async function createScratchDatabase(flavor: DatabaseFlavor): Promise<ScratchDatabase> {
  const suffix = `${process.pid}_${randomBytes(4).toString("hex")}`;
  if (flavor === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-test-"));
    const file = path.join(dir, `test_${suffix}.sqlite`);
    return { url: `sqlite://${file}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `dnsproof_test_${suffix}`;
  const admin = await mysql.createConnection(MARIADB_SERVER_URL);
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  return {
    url: `${MARIADB_SERVER_URL.replace(/\/$/, "")}/${name}`,
    drop: async () => {
      const conn = await mysql.createConnection(MARIADB_SERVER_URL);
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}
