import { Args, ArgsType, ClassType, Field, Int, ObjectType } from "type-graphql";
import { MAX_PAGE_SIZE, type PageArgs, type PageInfo as PageInfoData, checkPageSize, decodeCursor } from "../shared/pagination";

@ObjectType("PageInfo", { description: "Where a page stands in the whole list (Relay cursor connections)", simpleResolvers: true })
export class PageInfo implements PageInfoData {
  @Field(() => Boolean, { description: "True when more items follow endCursor" })
  hasNextPage!: boolean;
  @Field(() => Boolean, { description: "True when this page was asked for after a cursor, so items precede it" })
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true, description: "Cursor of the first item on this page" })
  startCursor!: string | null;
  @Field(() => String, { nullable: true, description: "Cursor of the last item on this page; pass it as `after` for the next page" })
  endCursor!: string | null;
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
    // Not simple: the count may be a promise, made only when selected, and graphql-jit awaits only resolvers.
    @Field(() => Int, { description: "How many items match, across all pages", simple: false })
    totalCount!: number;
  }
  return { EdgeType, ConnectionType };
}

/** How connections describe `after` unless they say more. */
export const AFTER = "Cursor to continue after";
/** How the account's own lists describe `after`. */
export const AFTER_PREVIOUS_PAGE = "Cursor to continue after (endCursor of the previous page)";

/** The page arguments of a connection field, as the resolver receives them. */
export interface ConnectionArgs {
  first: number | null;
  after: string | null;
  /** The page asked for: refuses a size outside 1..100 and a cursor this API did not make (BAD_USER_INPUT). */
  toPage(): PageArgs;
}

/**
 * `first` and `after` of a connection field, as `@ConnectionArgs(DEFAULT_PAGE_SIZE) page: ConnectionArgs`
 * (an @Args of connectionArgsType). The declared default of `first` is the page served for an
 * omitted or null `first`, in toPage() (checkPageSize with the same default) and in the query
 * cost, which reads the default from the schema: the two cannot disagree.
 */
export function ConnectionArgs(defaultSize: number, afterDescription = AFTER) {
  // Made now, as the resolver class is declared: buildSchema works on a copy of the metadata taken before
  // it calls type thunks, so a class first made inside the thunk would be unknown to it.
  const type = connectionArgsType(defaultSize, afterDescription);
  return Args(() => type);
}

/** The @ArgsType behind ConnectionArgs, one class per field. */
export function connectionArgsType(defaultSize: number, afterDescription: string): ClassType<ConnectionArgs> {
  @ArgsType()
  class ConnectionArgsType implements ConnectionArgs {
    @Field(() => Int, { nullable: true, defaultValue: defaultSize, description: `Page size, 1 to ${MAX_PAGE_SIZE}; ${defaultSize} when omitted or null` })
    first!: number | null;
    @Field(() => String, { nullable: true, description: afterDescription })
    after!: string | null;

    toPage(): PageArgs {
      return { first: checkPageSize(this.first, defaultSize), after: this.after ? decodeCursor(this.after) : null };
    }
  }
  return ConnectionArgsType;
}
