import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { ApiKey } from "./api-key.entity";
import { ApiKeyService } from "./api-key.service";
import { ApiKeyConnection, ApiKeyInput, CreateApiKeyInput, CreateApiKeyPayload, RevokeApiKeyPayload } from "./api-key.types";
import type { Clock } from "../shared/clock";
import { Domain } from "../domains/domain.entity";
import { DomainStatus } from "../shared/domain-status";
import { effectiveStatus } from "../domains/status-rules";
import { RequestContext, actionContext, principalOf } from "../graphql/context";
import { Connection, checkPageSize, decodeCursor, DEFAULT_PAGE_SIZE } from "../shared/pagination";
import { FirstArg } from "../graphql/connection";
import { localIdOf, toGlobalId } from "../graphql/global-id";
import { notFound } from "../shared/errors";
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
    @FirstArg(DEFAULT_PAGE_SIZE) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "Cursor to continue after (endCursor of the previous page)" })
    after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Connection<ApiKey>> {
    const page = { first: checkPageSize(first, DEFAULT_PAGE_SIZE), after: after ? decodeCursor(after) : null };
    return this.service.list(principalOf(ctx), page);
  }

  @Mutation(() => CreateApiKeyPayload, { description: "Create an API key; its secret is in the payload, and only there" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async createApiKey(
    @Arg("input", () => CreateApiKeyInput, { description: "The key's name and optional domain scope" }) input: CreateApiKeyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<CreateApiKeyPayload> {
    const action = actionContext(ctx);
    let domainId: string | null = null;
    if (input.domainId) {
      domainId = localIdOf(input.domainId, "Domain", "input.domainId");
      if (!domainId) return { apiKey: null, secret: null, userErrors: [notFound("domain", ["input", "domainId"])] };
    }
    const result = await this.service.create(action, { name: input.name, domainId });
    return result.ok
      ? { apiKey: result.apiKey, secret: result.secret, userErrors: [] }
      : { apiKey: null, secret: null, userErrors: [result.error] };
  }

  @Mutation(() => RevokeApiKeyPayload, { description: "Revoke an API key: it stops authenticating at once" })
  @RateLimited(RateLimitQuota.MUTATIONS)
  async revokeApiKey(
    @Arg("input", () => ApiKeyInput, { description: "The key to revoke" }) input: ApiKeyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<RevokeApiKeyPayload> {
    const action = actionContext(ctx);
    const localId = localIdOf(input.id, "ApiKey", "input.id");
    const result = localId ? await this.service.revoke(action, localId) : { ok: false as const, error: notFound("API key") };
    return result.ok ? { apiKey: result.apiKey, userErrors: [] } : { apiKey: null, userErrors: [result.error] };
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
