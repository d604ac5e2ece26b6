import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { ApiKey } from "./api-key.entity";
import { ApiKeyService } from "./api-key.service";
import { ApiKeyConnection, ApiKeyInput, CreateApiKeyInput, CreateApiKeyPayload, RevokeApiKeyPayload } from "./api-key.types";
import type { Clock } from "../shared/clock";
import { Domain } from "../domains/domain.entity";
import { DomainStatus } from "../shared/domain-status";
import { effectiveStatus } from "../domains/status-rules";
import type { RequestContext } from "../graphql/context";
import { Connection, DEFAULT_PAGE_SIZE } from "../shared/pagination";
import { AFTER_PREVIOUS_PAGE, ConnectionArgs } from "../graphql/connection";
import { toGlobalId, withLocalId } from "../graphql/global-id";
import { CurrentAction, CurrentPrincipal } from "../graphql/current-principal";
import { toPayload } from "../graphql/payload";
import type { ActionContext, Principal } from "../shared/principal";
import { RateLimited, RateLimitQuota } from "../graphql/rate-limits";

/** Translates ids and maps results; every rule lives in ApiKeyService. */
@Resolver(() => ApiKey)
export class ApiKeyResolver {
  constructor(
    private readonly service: ApiKeyService,
    private readonly clock: Clock,
  ) {}

  @Query(() => ApiKeyConnection, { description: "The account's API keys, newest first, revoked ones included" })
  async apiKeys(
    @ConnectionArgs(DEFAULT_PAGE_SIZE, AFTER_PREVIOUS_PAGE) page: ConnectionArgs,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Connection<ApiKey>> {
    return this.service.list(principal, page.toPage());
  }

  @Mutation(() => CreateApiKeyPayload, { description: "Create an API key; its secret is in the payload, and only there" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async createApiKey(
    @Arg("input", () => CreateApiKeyInput, { description: "The key's name and optional domain scope" }) input: CreateApiKeyInput,
    @CurrentAction() action: ActionContext,
  ): Promise<CreateApiKeyPayload> {
    // An empty domainId leaves the key unscoped, as an omitted one does.
    const result = await withLocalId(input.domainId || null, "Domain", ["input", "domainId"], (domainId) =>
      this.service.create(action, { name: input.name, domainId }),
    );
    return toPayload(result, ({ apiKey, secret }) => ({ apiKey, secret }), { apiKey: null, secret: null });
  }

  @Mutation(() => RevokeApiKeyPayload, { description: "Revoke an API key: it stops authenticating at once" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async revokeApiKey(
    @Arg("input", () => ApiKeyInput, { description: "The key to revoke" }) input: ApiKeyInput,
    @CurrentAction() action: ActionContext,
  ): Promise<RevokeApiKeyPayload> {
    const result = await withLocalId(input.id, "ApiKey", ["input", "id"], (id) => this.service.revoke(action, id));
    return toPayload(result, ({ apiKey }) => ({ apiKey }), { apiKey: null });
  }

  @FieldResolver(() => ID, { description: "Opaque, globally unique; accepted by node(id:) and revokeApiKey" })
  id(@Root() apiKey: ApiKey): string {
    return toGlobalId("ApiKey", apiKey.id);
  }

  @FieldResolver(() => Domain, { nullable: true, description: "The domain the key is scoped to; null for full access, and once that domain is removed" })
  async domain(@Root() apiKey: ApiKey, @Ctx() ctx: RequestContext): Promise<Domain | null> {
    return apiKey.domainId ? ctx.loaders.domainById.load(apiKey.domainId) : null;
  }

  @FieldResolver(() => Boolean, {
    description: "Whether the key authenticates now: false once revoked, and while the domain it is scoped to is removed or not VERIFIED",
  })
  async active(@Root() apiKey: ApiKey, @Ctx() ctx: RequestContext): Promise<boolean> {
    if (apiKey.revokedAt) return false;
    if (!apiKey.domainId) return true;
    const domain = await ctx.loaders.domainById.load(apiKey.domainId);
    return domain !== null && effectiveStatus(domain, this.clock.now()) === DomainStatus.VERIFIED;
  }
}
