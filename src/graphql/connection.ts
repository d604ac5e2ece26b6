import { ClassType, Field, Int, ObjectType } from "type-graphql";
import { badUserInput } from "./errors";

@ObjectType("PageInfo", { description: "Where a page stands in the whole list (Relay cursor connections)", simpleResolvers: true })
export class PageInfo {
  @Field(() => Boolean, { description: "True when more items follow endCursor" })
  hasNextPage!: boolean;
  @Field(() => Boolean, { description: "True when this page was asked for after a cursor, so items precede it" })
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true, description: "Cursor of the first item on this page" })
  startCursor!: string | null;
  @Field(() => String, { nullable: true, description: "Cursor of the last item on this page; pass it as `after` for the next page" })
  endCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

/**
 * Builds `<Name>Edge` and `<Name>Connection` object types for one node type. Their fields
 * are plain properties (`edges` and `pageInfo` getters): simple resolvers, which graphql-jit
 * reads inline instead of calling TypeGraphQL's per-field wrapper thousands of times a page.
 */
export function connectionTypes<T extends object>(nodeType: ClassType<T>, name: string, noun: string) {
  @ObjectType(`${name}Edge`, { description: `One ${noun} in a page, with its cursor`, simpleResolvers: true })
  class EdgeType {
    @Field(() => String, { description: "Opaque position of this item; pass it as `after` to continue from here" })
    cursor!: string;
    @Field(() => nodeType, { description: `The ${noun}` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${noun}s, newest first`, simpleResolvers: true })
  class ConnectionType {
    @Field(() => [EdgeType], { description: "The items of this page with their cursors" })
    edges!: EdgeType[];
    @Field(() => [nodeType], { description: "The items of this page, without cursors" })
    nodes!: T[];
    @Field(() => PageInfo, { description: "Cursors and whether more pages exist" })
    pageInfo!: PageInfo;
    @Field(() => Int, { description: "How many items match, across all pages" })
    totalCount!: number;
  }
  return { EdgeType, ConnectionType };
}

/** The position of an item in a (createdAt DESC, id DESC) ordering. */
export interface Position {
  createdAt: Date;
  id: string;
}

export function encodeCursor(position: Position): string {
  // The JSON.stringify of [iso, id] written out: neither an ISO date nor a uuid needs escaping.
  return Buffer.from(`["${position.createdAt.toISOString()}","${position.id}"]`, "latin1").toString("base64url");
}

export function decodeCursor(cursor: string, argument = "after"): Position {
  try {
    if (!/^[A-Za-z0-9_-]{1,300}$/.test(cursor)) throw new Error("not base64url");
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "string" && typeof parsed[1] === "string") {
      const createdAt = new Date(parsed[0]);
      if (!Number.isNaN(createdAt.getTime()) && /^[0-9a-f-]{36}$/.test(parsed[1])) {
        return { createdAt, id: parsed[1] };
      }
    }
  } catch {
    // Falls through to the one error every malformed cursor gets.
  }
  throw badUserInput(`"${argument}" is not a cursor from this API; pass an endCursor or edge cursor unchanged.`, argument);
}

export const MAX_PAGE_SIZE = 100;

/** Page sizes outside 1..100 are refused rather than silently clamped, so clients notice. */
export function checkPageSize(first: number | null | undefined, fallback: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badUserInput(`"first" must be from 1 to ${MAX_PAGE_SIZE}; got ${size}.`, "first");
  }
  return size;
}

export interface PageArgs {
  first: number;
  after: Position | null;
}

/**
 * Turns `first + 1` rows fetched in order into a connection. Edges and their cursors are
 * built when a client selects them, not before: a page of 50 domains with 10 audit entries
 * each would otherwise encode 550 cursors that most frontends (which read `nodes`) never see.
 */
export function toConnection<T extends Position>(rows: T[], args: PageArgs, totalCount: number): Connection<T> {
  const hasNextPage = rows.length > args.first;
  return new LazyConnection(hasNextPage ? rows.slice(0, args.first) : rows, totalCount, hasNextPage, args.after !== null);
}

class LazyConnection<T extends Position> implements Connection<T> {
  private builtEdges: Edge<T>[] | null = null;

  constructor(
    readonly nodes: T[],
    readonly totalCount: number,
    private readonly hasNextPage: boolean,
    private readonly hasPreviousPage: boolean,
  ) {}

  get edges(): Edge<T>[] {
    return (this.builtEdges ??= this.nodes.map((node) => ({ cursor: encodeCursor(node), node })));
  }

  get pageInfo(): PageInfo {
    const { nodes } = this;
    const cursorAt = (index: number) => this.builtEdges?.[index].cursor ?? encodeCursor(nodes[index]);
    return {
      hasNextPage: this.hasNextPage,
      hasPreviousPage: this.hasPreviousPage,
      startCursor: nodes.length ? cursorAt(0) : null,
      endCursor: nodes.length ? cursorAt(nodes.length - 1) : null,
    };
  }
}
