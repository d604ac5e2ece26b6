import type { EntityManager, EntityTarget, ObjectLiteral } from "typeorm";
import type { Database } from "../db/database";
import { Principal, canSee } from "../shared/principal";

/** What every row an account owns has. */
export interface AccountRow extends ObjectLiteral {
  id: string;
  accountId: string;
}

/** The row of `entity` with this id in this account, locked for `manager`'s transaction; null for a missing id and another account's alike. */
export function lockInAccount<T extends AccountRow>(
  db: Pick<Database, "forUpdate">,
  manager: EntityManager,
  entity: EntityTarget<T>,
  accountId: string,
  id: string,
): Promise<T | null> {
  return db.forUpdate(manager.createQueryBuilder(entity, "owned").where("owned.id = :id AND owned.accountId = :accountId", { id, accountId })).getOne();
}

/**
 * As lockInAccount in the principal's account, and only a row the principal may see
 * (canSee): a scoped API key or a client certificate sees its domain's rows alone.
 * `domainOf` names the domain a row belongs to (a domain's is its own id; null: account-wide).
 */
export async function lockVisible<T extends AccountRow>(
  db: Pick<Database, "forUpdate">,
  manager: EntityManager,
  entity: EntityTarget<T>,
  principal: Principal,
  id: string,
  domainOf: (row: T) => string | null,
): Promise<T | null> {
  const row = await lockInAccount(db, manager, entity, principal.accountId, id);
  return row && canSee(principal, { accountId: row.accountId, domainId: domainOf(row) }) ? row : null;
}
