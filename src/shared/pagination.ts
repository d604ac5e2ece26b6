import { badUserInput } from "./errors";

/** Where a page stands in the whole list (Relay cursor connections); the GraphQL type PageInfo shows it. */
export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  /** A number when it came with the page; a promise when it is counted only once a client selects it. */
  readonly totalCount: number | Promise<number>;
}

/** The total of a connection: known already, or a count to run only if a client asks for it. */
export type TotalCount = number | (() => Promise<number>);

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
/** The page of a list of things an account holds (domains, keys, endpoints, certificates) when `first` is not given. */
export const DEFAULT_PAGE_SIZE = 20;
/** The page of a log (the account's audit log and event feed, admin listings) when `first` is not given. */
export const DEFAULT_LOG_PAGE_SIZE = 50;

/**
 * The one definition of the page a connection serves: `first` when the client gave a number,
 * the field's declared default when it gave null, left it out, or sent a variable without a
 * value. The query cost reads the same rule, so a `first: null` costs what it fetches.
 */
export function effectivePageSize(first: number | null | undefined, defaultSize: number): number {
  return first ?? defaultSize;
}

/** Page sizes outside 1..100 are refused rather than silently clamped, so clients notice. */
export function checkPageSize(first: number | null | undefined, defaultSize: number): number {
  const size = effectivePageSize(first, defaultSize);
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
export function toConnection<T extends Position>(rows: T[], args: PageArgs, totalCount: TotalCount): Connection<T> {
  const hasNextPage = rows.length > args.first;
  return new LazyConnection(hasNextPage ? rows.slice(0, args.first) : rows, totalCount, hasNextPage, args.after !== null);
}

class LazyConnection<T extends Position> implements Connection<T> {
  private builtEdges: Edge<T>[] | null = null;
  private counted: Promise<number> | null = null;

  constructor(
    readonly nodes: T[],
    private readonly total: TotalCount,
    private readonly hasNextPage: boolean,
    private readonly hasPreviousPage: boolean,
  ) {}

  /** Counting every match costs more than the page itself on a large table, so it runs only when selected, and once. */
  get totalCount(): number | Promise<number> {
    const { total } = this;
    return typeof total === "number" ? total : (this.counted ??= total());
  }

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
