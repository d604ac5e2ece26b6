import { Query, Resolver } from "type-graphql";
import { Viewer } from "./viewer.type";
import { CurrentPrincipal } from "../graphql/current-principal";
import type { Principal } from "../shared/principal";

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { description: "Who the caller is, and how many domains the account holds and may hold" })
  async viewer(@CurrentPrincipal() principal: Principal): Promise<Viewer> {
    return {
      accountId: principal.accountId,
      userId: principal.userId,
      email: principal.email,
      isAdmin: principal.isAdmin,
    };
  }
}
