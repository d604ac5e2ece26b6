import { Brackets, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { Position } from "../graphql/connection";

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
