import DataLoader from "dataloader";
import { In } from "typeorm";
import { Certificate } from "./certificate.entity";
import type { Database } from "../../db/database";
import { Connection, PageArgs, toConnection } from "../../shared/pagination";

/**
 * Per-request batching for Domain.certificates, like the audit log's: one query for the pages of
 * every domain in the response (a window function per domain) and one for their counts, so a page
 * of 100 domains costs what a page of one does. `accountId` keeps it to the caller's certificates.
 */
export function createDomainCertificatesLoader(db: Database, accountId: string) {
  const pages = new Map<string, DataLoader<string, Certificate[]>>();
  const pageLoader = (page: PageArgs) => {
    const key = `${page.first}:${page.after ? `${page.after.createdAt.toISOString()}/${page.after.id}` : ""}`;
    let loader = pages.get(key);
    if (!loader) {
      loader = new DataLoader((domainIds: readonly string[]) => pagesByDomain(db, accountId, domainIds, page));
      pages.set(key, loader);
    }
    return loader;
  };
  const counts = new DataLoader((domainIds: readonly string[]) => countsByDomain(db, accountId, domainIds));
  return async (domainId: string, page: PageArgs): Promise<Connection<Certificate>> => {
    const [rows, total] = await Promise.all([pageLoader(page).load(domainId), counts.load(domainId)]);
    return toConnection(rows, page, total);
  };
}

async function pagesByDomain(db: Database, accountId: string, domainIds: readonly string[], page: PageArgs): Promise<Certificate[][]> {
  const params: unknown[] = [accountId, ...domainIds];
  let cursorCondition = "";
  if (page.after) {
    cursorCondition = " AND (createdAt < ? OR (createdAt = ? AND id < ?))";
    const at = db.dateParameter(page.after.createdAt);
    params.push(at, at, page.after.id);
  }
  params.push(page.first + 1);
  const ranked: { id: string }[] = await db.manager.query(
    `SELECT id FROM (
       SELECT id, ROW_NUMBER() OVER (PARTITION BY domainId ORDER BY createdAt DESC, id DESC) AS position
       FROM certificates
       WHERE accountId = ? AND domainId IN (${domainIds.map(() => "?").join(", ")})${cursorCondition}
     ) ranked WHERE position <= ?`,
    params,
  );
  const certificates = ranked.length
    ? await db.manager.find(Certificate, { where: { id: In(ranked.map((r) => r.id)) }, order: { createdAt: "DESC", id: "DESC" } })
    : [];
  const byDomain = new Map<string, Certificate[]>(domainIds.map((id) => [id, []]));
  for (const certificate of certificates) byDomain.get(certificate.domainId)?.push(certificate);
  return domainIds.map((id) => byDomain.get(id)!);
}

async function countsByDomain(db: Database, accountId: string, domainIds: readonly string[]): Promise<number[]> {
  const rows: { domainId: string; total: string | number }[] = await db.manager
    .createQueryBuilder(Certificate, "c")
    .select("c.domainId", "domainId")
    .addSelect("COUNT(*)", "total")
    .where({ accountId, domainId: In([...domainIds]) })
    .groupBy("c.domainId")
    .getRawMany();
  const totals = new Map(rows.map((r) => [r.domainId, Number(r.total)]));
  return domainIds.map((id) => totals.get(id) ?? 0);
}
