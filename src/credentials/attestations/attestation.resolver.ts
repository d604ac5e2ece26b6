import { Arg, Mutation, Resolver } from "type-graphql";
import { AttestationService } from "./attestation.service";
import { IssueDomainAttestationInput, IssueDomainAttestationPayload } from "./attestation.types";
import { withLocalId } from "../../graphql/global-id";
import { CurrentAction } from "../../graphql/current-principal";
import { toPayload } from "../../graphql/payload";
import type { ActionContext } from "../../shared/principal";
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
    @CurrentAction() action: ActionContext,
  ): Promise<IssueDomainAttestationPayload> {
    const result = await withLocalId(input.domainId, "Domain", ["input", "domainId"], (domainId) =>
      this.service.issue(action, domainId, input.audience ?? null),
    );
    return toPayload(result, ({ attestation, expiresAt }) => ({ attestation, expiresAt }), { attestation: null, expiresAt: null });
  }
}
