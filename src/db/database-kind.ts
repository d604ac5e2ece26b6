import type { DataSource } from "typeorm";

export type DatabaseKind = "mysql" | "sqlite";

/** Apart from data-source.ts, so what only reads a data source never loads the drivers that open one. */
export function databaseKind(dataSource: DataSource): DatabaseKind {
  return dataSource.options.type === "mysql" || dataSource.options.type === "mariadb" ? "mysql" : "sqlite";
}

/** The data sources built for a Galera cluster node (openDataSource finds out); Database judges readiness by it. */
const galeraNodes = new WeakSet<DataSource>();

export function markGaleraNode(dataSource: DataSource): void {
  galeraNodes.add(dataSource);
}

export function isGaleraNode(dataSource: DataSource): boolean {
  return galeraNodes.has(dataSource);
}
