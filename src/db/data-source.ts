import fs from "node:fs";
import path from "node:path";
import mysql from "mysql2/promise";
import { DataSource, DataSourceOptions, Logger as TypeOrmLogger, LoggerOptions } from "typeorm";
import { migrations } from "../../migrations";
import { ConfigError } from "../shared/config";
import { mysqlDriverForTypeOrm, type StatementBounds } from "./mysql-driver";
import { markGaleraNode } from "./database-kind";

/** Parses DATABASE_URL: `mysql://user:pass@host:3306/db`, `sqlite:///abs/path.sqlite` or `sqlite:relative/path.sqlite`. */
export function parseDatabaseUrl(url: string): { kind: "mysql"; url: string } | { kind: "sqlite"; file: string } {
  if (/^(mysql|mariadb):\/\//i.test(url)) {
    return { kind: "mysql", url: url.replace(/^mariadb:/i, "mysql:") };
  }
  const sqlite = /^sqlite:(?:\/\/)?(.+)$/i.exec(url);
  if (sqlite) {
    const file = sqlite[1];
    return { kind: "sqlite", file: file === ":memory:" ? file : path.resolve(file) };
  }
  throw new ConfigError(
    `DATABASE_URL must start with mysql:// or sqlite:, e.g. mysql://user:pass@127.0.0.1:3306/dnsproof or sqlite:data/dnsproof.sqlite`,
  );
}

/** Counts statements (for the N+1 test and metrics) without logging SQL anywhere a client could see it. */
class StatementObserver implements TypeOrmLogger {
  constructor(private readonly onQuery?: (sql: string, parameters?: unknown[]) => void) {}
  logQuery(query: string, parameters?: unknown[]): void {
    this.onQuery?.(query, parameters);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export interface DataSourceSettings {
  /** The entity classes, from the features that own them (app/entities.ts lists them); the database layer knows none. */
  entities: Function[];
  /** Sees every statement with its parameters (tests EXPLAIN them). */
  onQuery?: (sql: string, parameters?: unknown[]) => void;
  /** TypeORM reads MariaDB's catalog differently from MySQL's; openDataSource finds out which one it is. */
  mysqlFlavor?: "mysql" | "mariadb";
  /**
   * A Galera cluster node (wsrep_on): every session then waits for the node to apply what other
   * nodes committed before it reads (wsrep_sync_wait=1), so an instance reads its own writes made
   * through another node, as it does on one server. openDataSource finds out.
   */
  galera?: boolean;
  /** Bounds on every MySQL statement and wait for a pooled connection (REQUEST_TIMEOUT_MS); unset: none. */
  bounds?: StatementBounds;
}

/** Builds and connects the data source, asking a MySQL-protocol server whether it is MariaDB, and a Galera node, first. */
export async function openDataSource(databaseUrl: string, settings: DataSourceSettings): Promise<DataSource> {
  const target = parseDatabaseUrl(databaseUrl);
  const server = target.kind === "mysql" ? await detectMysqlServer(target.url) : undefined;
  const dataSource = createDataSource(databaseUrl, { ...settings, mysqlFlavor: server?.flavor, galera: server?.galera });
  await dataSource.initialize();
  return dataSource;
}

async function detectMysqlServer(url: string): Promise<{ flavor: "mysql" | "mariadb"; galera: boolean }> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
  try {
    // A server that accepts the connection and then stalls must not hold the start for ever.
    const [rows] = await connection.query({ sql: "SELECT VERSION() AS version", timeout: 5000 });
    const flavor = /mariadb/i.test(String((rows as { version: string }[])[0]?.version)) ? "mariadb" : "mysql";
    const [wsrep] = await connection.query({ sql: "SHOW VARIABLES LIKE 'wsrep_on'", timeout: 5000 });
    const galera = String((wsrep as { Value?: string }[])[0]?.Value ?? "").toUpperCase() === "ON";
    return { flavor, galera };
  } finally {
    connection.destroy();
  }
}

/** Causal reads: a read waits until this node has applied every write the cluster committed before it. */
const GALERA_SESSION = ["SET SESSION wsrep_sync_wait = 1"];

export function createDataSource(databaseUrl: string, options: DataSourceSettings): DataSource {
  const target = parseDatabaseUrl(databaseUrl);
  const common = {
    entities: options.entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    logging: ["query"] as LoggerOptions,
    logger: new StatementObserver(options.onQuery),
  };
  let dataSourceOptions: DataSourceOptions;
  if (target.kind === "mysql") {
    dataSourceOptions = {
      ...common,
      type: options.mysqlFlavor ?? "mysql",
      url: target.url,
      timezone: "Z",
      charset: "utf8mb4_unicode_ci",
      connectTimeout: 5000,
      driver: mysqlDriverForTypeOrm(options.galera ? GALERA_SESSION : [], options.bounds),
      // trace: a stack captured per statement for mysql2's own errors, which TypeORM wraps in QueryFailedError anyway.
      extra: { connectionLimit: 20, waitForConnections: true, trace: false },
    } as DataSourceOptions;
  } else {
    if (target.file !== ":memory:") fs.mkdirSync(path.dirname(target.file), { recursive: true });
    dataSourceOptions = {
      ...common,
      type: "better-sqlite3",
      database: target.file,
      enableWAL: target.file !== ":memory:",
      timeout: 10_000,
    } as DataSourceOptions;
  }
  const dataSource = new DataSource(dataSourceOptions);
  if (options.galera) markGaleraNode(dataSource);
  return dataSource;
}
