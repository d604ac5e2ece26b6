import { Arg, Ctx, ID, Query, Resolver } from "type-graphql";
import { Node } from "./node.type";
import { fromGlobalId } from "./global-id";
import { RequestContext, principalOf } from "./context";

/**
 * Node lookups for every type with a global id, each from the feature that owns the type
 * (the composition root collects them); anything not the caller's is null, like an unknown id.
 */
export type NodeFetcher = (localId: string, ctx: RequestContext) => Promise<object | null>;

@Resolver()
export class NodeResolver {
  constructor(private readonly fetchers: Record<string, NodeFetcher>) {}

  @Query(() => Node, { nullable: true, description: "Any object by its global id; null for unknown ids and other accounts' ids alike" })
  async node(@Arg("id", () => ID, { description: "A global id" }) id: string, @Ctx() ctx: RequestContext): Promise<object | null> {
    principalOf(ctx);
    const { type, localId } = fromGlobalId(id);
    const fetch = this.fetchers[type];
    return fetch ? fetch(localId, ctx) : null;
  }
}
