import { Arg, Ctx, ID, Query, Resolver } from "type-graphql";
import { Node } from "./node.type";
import { fromGlobalId } from "./global-id";
import type { RequestContext } from "./context";
import { CurrentPrincipal } from "./current-principal";
import type { Principal } from "../shared/principal";

/**
 * Node lookups for every type with a global id, each from the feature that owns the type
 * (the composition root collects them); anything not the caller's is null, like an unknown id.
 */
export type NodeFetcher = (localId: string, ctx: RequestContext) => Promise<object | null>;

@Resolver()
export class NodeResolver {
  constructor(private readonly fetchers: Record<string, NodeFetcher>) {}

  @Query(() => Node, { nullable: true, description: "Any object by its global id; null for unknown ids and other accounts' ids alike" })
  async node(
    @Arg("id", () => ID, { description: "A global id" }) id: string,
    // Asked for so that anonymous callers are refused before the id is read; each fetcher finds it in ctx.
    @CurrentPrincipal() _principal: Principal,
    @Ctx() ctx: RequestContext,
  ): Promise<object | null> {
    const { type, localId } = fromGlobalId(id);
    const fetch = this.fetchers[type];
    return fetch ? fetch(localId, ctx) : null;
  }
}
