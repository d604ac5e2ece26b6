import fs from "node:fs";
import path from "node:path";
import { DataSource, DataSourceOptions, Logger as TypeOrmLogger, LoggerOptions } from "typeorm";
import { Domain } from "../domains/domain.entity";
import { Account } from "../domains/account.entity";
import { AuditEntry } from "../audit/audit-entry.entity";
import { ApiKey } from "../apikeys/api-key.entity";
import { migrations } from "../../migrations";
import { ConfigError } from "../config";

export const entities = [Account, Domain, AuditEntry, ApiKey];

export type DatabaseKind = "mysql" | "sqlite";

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
  constructor(private readonly onQuery?: (sql: string) => void) {}
  logQuery(query: string): void {
    this.onQuery?.(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export function createDataSource(databaseUrl: string, options: { onQuery?: (sql: string) => void } = {}): DataSource {
  const target = parseDatabaseUrl(databaseUrl);
  const common = {
    entities,
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
      type: "mysql",
      url: target.url,
      timezone: "Z",
      charset: "utf8mb4_unicode_ci",
      connectTimeout: 5000,
      extra: { connectionLimit: 20, waitForConnections: true },
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
  return new DataSource(dataSourceOptions);
}

export function databaseKind(dataSource: DataSource): DatabaseKind {
  return dataSource.options.type === "mysql" ? "mysql" : "sqlite";
}
