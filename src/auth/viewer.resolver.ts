import { Ctx, Query, Resolver } from "type-graphql";
import { Viewer } from "./viewer.type";
import { DomainService } from "../domains/domain.service";
import { RequestContext, principalOf } from "../graphql/context";

@Resolver(() => Viewer)
export class ViewerResolver {
  constructor(private readonly domains: DomainService) {}

  @Query(() => Viewer, { description: "Who the caller is, and how many domains the account holds and may hold" })
  async viewer(@Ctx() ctx: RequestContext): Promise<Viewer> {
    const principal = principalOf(ctx);
    return {
      accountId: principal.accountId,
      userId: principal.userId,
      email: principal.email,
      isAdmin: principal.isAdmin,
      domainCount: await this.domains.countForAccount(principal),
      domainLimit: this.domains.limitPerAccount,
    };
  }
}
