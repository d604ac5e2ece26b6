import { Brackets, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { Connection, PageArgs, Position, toConnection } from "../shared/pagination";

/** Newest first (every list's default) or oldest first (the events feed). */
export type SortOrder = "DESC" | "ASC";

/** Rows strictly after `position` in (createdAt, id) order, descending unless told: the keyset behind every cursor. */
export function afterCursor<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  position: Position | null,
  order: SortOrder = "DESC",
): SelectQueryBuilder<T> {
  if (!position) return qb;
  const beyond = order === "DESC" ? "<" : ">";
  return qb.andWhere(
    new Brackets((w) =>
      w
        .where(`${alias}.createdAt ${beyond} :cursorAt`, { cursorAt: position.createdAt })
        .orWhere(`(${alias}.createdAt = :cursorAt AND ${alias}.id ${beyond} :cursorId)`, { cursorId: position.id }),
    ),
  );
}

/**
 * One page of `query` in (createdAt, id) order, newest first unless told, with the total count
 * of what it matches, counted only when a client selects it. `query` is called twice, for the
 * page and for the count, so filters are not shared state.
 */
export async function paginate<T extends Position & ObjectLiteral>(
  query: () => SelectQueryBuilder<T>,
  alias: string,
  page: PageArgs,
  order: SortOrder = "DESC",
): Promise<Connection<T>> {
  const rows = await afterCursor(query(), alias, page.after, order)
    .orderBy(`${alias}.createdAt`, order)
    .addOrderBy(`${alias}.id`, order)
    .take(page.first + 1)
    .getMany();
  return toConnection(rows, page, () => query().getCount());
}
