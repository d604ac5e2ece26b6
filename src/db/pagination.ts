import { Brackets, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { Connection, PageArgs, Position, toConnection } from "../graphql/connection";

/** Rows strictly after `position` in (createdAt DESC, id DESC) order: the keyset behind every cursor. */
export function afterCursor<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  position: Position | null,
): SelectQueryBuilder<T> {
  if (!position) return qb;
  return qb.andWhere(
    new Brackets((w) =>
      w
        .where(`${alias}.createdAt < :cursorAt`, { cursorAt: position.createdAt })
        .orWhere(`(${alias}.createdAt = :cursorAt AND ${alias}.id < :cursorId)`, { cursorId: position.id }),
    ),
  );
}

/**
 * One page of `query` in (createdAt DESC, id DESC) order, with the total count of what it
 * matches. `query` is called twice, for the page and for the count, so filters are not shared state.
 */
export async function paginate<T extends Position & ObjectLiteral>(
  query: () => SelectQueryBuilder<T>,
  alias: string,
  page: PageArgs,
): Promise<Connection<T>> {
  const [rows, total] = await Promise.all([
    afterCursor(query(), alias, page.after)
      .orderBy(`${alias}.createdAt`, "DESC")
      .addOrderBy(`${alias}.id`, "DESC")
      .take(page.first + 1)
      .getMany(),
    query().getCount(),
  ]);
  return toConnection(rows, page, total);
}
