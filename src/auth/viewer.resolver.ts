import { Ctx, Query, Resolver } from "type-graphql";
import { Viewer } from "./viewer.type";
import { RequestContext, principalOf } from "../graphql/context";

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { description: "Who the caller is, and how many domains the account holds and may hold" })
  async viewer(@Ctx() ctx: RequestContext): Promise<Viewer> {
    const principal = principalOf(ctx);
    return {
      accountId: principal.accountId,
      userId: principal.userId,
      email: principal.email,
      isAdmin: principal.isAdmin,
    };
  }
}
