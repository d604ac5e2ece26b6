import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { AttestationService } from "./attestation.service";
import { IssueDomainAttestationInput, IssueDomainAttestationPayload } from "./attestation.types";
import { RequestContext, actionContext } from "../../graphql/context";
import { localIdOf } from "../../graphql/global-id";
import { notFound } from "../../shared/errors";
import { RateLimited, RateLimitQuota } from "../../graphql/rate-limits";

/** Translates ids and maps results; every rule lives in AttestationService. */
@Resolver()
export class AttestationResolver {
  constructor(private readonly service: AttestationService) {}

  @RateLimited(RateLimitQuota.MUTATIONS)
  @Mutation(() => IssueDomainAttestationPayload, {
    description: "A signed, short-lived statement that the account controls a VERIFIED domain, checkable against /.well-known/jwks.json",
  })
  async issueDomainAttestation(
    @Arg("input", () => IssueDomainAttestationInput, { description: "The domain and the audience" }) input: IssueDomainAttestationInput,
    @Ctx() ctx: RequestContext,
  ): Promise<IssueDomainAttestationPayload> {
    const action = actionContext(ctx);
    const domainId = localIdOf(input.domainId, "Domain", "input.domainId");
    const result = domainId ? await this.service.issue(action, domainId, input.audience ?? null) : { ok: false as const, error: notFound("domain", ["input", "domainId"]) };
    return result.ok
      ? { attestation: result.attestation, expiresAt: result.expiresAt, userErrors: [] }
      : { attestation: null, expiresAt: null, userErrors: [result.error] };
  }
}
