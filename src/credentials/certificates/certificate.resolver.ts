import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Certificate } from "./certificate.entity";
import { CertificateService } from "./certificate.service";
import { CertificateConnection, CertificateInput, IssueCertificateInput, IssueCertificatePayload, RevokeCertificatePayload } from "./certificate.types";
import { Domain } from "../../domains/domain.entity";
import type { RequestContext } from "../../graphql/context";
import { Connection, DEFAULT_PAGE_SIZE } from "../../shared/pagination";
import { AFTER_PREVIOUS_PAGE, ConnectionArgs } from "../../graphql/connection";
import { localIdOf, toGlobalId, withLocalId } from "../../graphql/global-id";
import { CurrentAction, CurrentPrincipal } from "../../graphql/current-principal";
import { toPayload } from "../../graphql/payload";
import { ActionContext, Principal, listScope } from "../../shared/principal";
import { RateLimited, RateLimitQuota } from "../../graphql/rate-limits";

/** Translates ids and maps results; every rule lives in CertificateService. */
@Resolver(() => Certificate)
export class CertificateResolver {
  constructor(private readonly service: CertificateService) {}

  @Query(() => CertificateConnection, { description: "The account's client certificates, newest first" })
  async certificates(
    @ConnectionArgs(DEFAULT_PAGE_SIZE, AFTER_PREVIOUS_PAGE) args: ConnectionArgs,
    @Arg("domainId", () => ID, { nullable: true, description: "Only the certificates of this domain" }) domainId: string | null,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Connection<Certificate>> {
    const page = args.toPage();
    if (!domainId) return this.service.list(principal, page, null);
    // Another type's id matches nothing, like an unknown domain's.
    return this.service.list(principal, page, localIdOf(domainId, "Domain", "domainId") ?? "none");
  }

  @RateLimited(RateLimitQuota.MUTATIONS)
  @Mutation(() => IssueCertificatePayload, { description: "Issue a client certificate for a VERIFIED domain, for the key in a CSR" })
  async issueCertificate(
    @Arg("input", () => IssueCertificateInput, { description: "The domain and the CSR" }) input: IssueCertificateInput,
    @CurrentAction() action: ActionContext,
  ): Promise<IssueCertificatePayload> {
    const result = await withLocalId(input.domainId, "Domain", ["input", "domainId"], (domainId) => this.service.issue(action, domainId, input.csr, input.wildcard ?? false));
    return toPayload(result, ({ certificate, chainPem }) => ({ certificate, chainPem }), { certificate: null, chainPem: null });
  }

  @RateLimited(RateLimitQuota.MUTATIONS)
  @Mutation(() => RevokeCertificatePayload, { description: "Revoke a client certificate: it stops authenticating at once and is listed in the CRL" })
  async revokeCertificate(
    @Arg("input", () => CertificateInput, { description: "The certificate to revoke" }) input: CertificateInput,
    @CurrentAction() action: ActionContext,
  ): Promise<RevokeCertificatePayload> {
    const result = await withLocalId(input.id, "Certificate", ["input", "id"], (id) => this.service.revoke(action, id));
    return toPayload(result, ({ certificate }) => ({ certificate }), { certificate: null });
  }

  @FieldResolver(() => ID, { description: "Opaque, globally unique; accepted by node(id:) and revokeCertificate" })
  id(@Root() certificate: Certificate): string {
    return toGlobalId("Certificate", certificate.id);
  }

  @FieldResolver(() => Domain, { nullable: true, description: "The domain it names; null once that domain is removed" })
  async domain(@Root() certificate: Certificate, @Ctx() ctx: RequestContext): Promise<Domain | null> {
    return ctx.loaders.domainById.load(certificate.domainId);
  }
}

/** Domain.certificates: a field this feature adds to the domain's type, so it lives here. */
@Resolver(() => Domain)
export class DomainCertificatesResolver {
  /** One loader per request, dropped with it; kept here rather than in the shared RequestLoaders. */
  private readonly loaders = new WeakMap<RequestContext, ReturnType<CertificateService["createDomainCertificatesLoader"]>>();

  constructor(private readonly service: CertificateService) {}

  @FieldResolver(() => CertificateConnection, { description: "Client certificates issued for this domain, newest first" })
  async certificates(
    @Root() domain: Domain,
    @ConnectionArgs(DEFAULT_PAGE_SIZE, AFTER_PREVIOUS_PAGE) args: ConnectionArgs,
    @CurrentPrincipal() principal: Principal,
    @Ctx() ctx: RequestContext,
  ): Promise<Connection<Certificate>> {
    const page = args.toPage();
    if (listScope(principal, domain.id) === "none") return this.service.list(principal, page, domain.id);
    let load = this.loaders.get(ctx);
    if (!load) this.loaders.set(ctx, (load = this.service.createDomainCertificatesLoader(principal.accountId)));
    return load(domain.id, page);
  }
}
