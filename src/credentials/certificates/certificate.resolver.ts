import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Certificate } from "./certificate.entity";
import { CertificateService } from "./certificate.service";
import { CertificateConnection, CertificateInput, IssueCertificateInput, IssueCertificatePayload, RevokeCertificatePayload } from "./certificate.types";
import { Domain } from "../../domains/domain.entity";
import { RequestContext, actionContext, principalOf } from "../../graphql/context";
import { Connection, checkPageSize, decodeCursor, DEFAULT_PAGE_SIZE } from "../../shared/pagination";
import { FirstArg } from "../../graphql/connection";
import { localIdOf, toGlobalId } from "../../graphql/global-id";
import { notFound } from "../../shared/errors";
import { listScope } from "../../shared/principal";
import { RateLimited, RateLimitQuota } from "../../graphql/rate-limits";

const AFTER = { nullable: true, description: "Cursor to continue after (endCursor of the previous page)" } as const;

/** Translates ids and maps results; every rule lives in CertificateService. */
@Resolver(() => Certificate)
export class CertificateResolver {
  constructor(private readonly service: CertificateService) {}

  @Query(() => CertificateConnection, { description: "The account's client certificates, newest first" })
  async certificates(
    @FirstArg(DEFAULT_PAGE_SIZE) first: number | null,
    @Arg("after", () => String, AFTER) after: string | null,
    @Arg("domainId", () => ID, { nullable: true, description: "Only the certificates of this domain" }) domainId: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Connection<Certificate>> {
    const page = { first: checkPageSize(first, DEFAULT_PAGE_SIZE), after: after ? decodeCursor(after) : null };
    const principal = principalOf(ctx);
    if (!domainId) return this.service.list(principal, page, null);
    // Another type's id matches nothing, like an unknown domain's.
    return this.service.list(principal, page, localIdOf(domainId, "Domain", "domainId") ?? "none");
  }

  @RateLimited(RateLimitQuota.MUTATIONS)
  @Mutation(() => IssueCertificatePayload, { description: "Issue a client certificate for a VERIFIED domain, for the key in a CSR" })
  async issueCertificate(
    @Arg("input", () => IssueCertificateInput, { description: "The domain and the CSR" }) input: IssueCertificateInput,
    @Ctx() ctx: RequestContext,
  ): Promise<IssueCertificatePayload> {
    const action = actionContext(ctx);
    const domainId = localIdOf(input.domainId, "Domain", "input.domainId");
    const result = domainId ? await this.service.issue(action, domainId, input.csr) : { ok: false as const, error: notFound("domain", ["input", "domainId"]) };
    return result.ok
      ? { certificate: result.certificate, chainPem: result.chainPem, userErrors: [] }
      : { certificate: null, chainPem: null, userErrors: [result.error] };
  }

  @RateLimited(RateLimitQuota.MUTATIONS)
  @Mutation(() => RevokeCertificatePayload, { description: "Revoke a client certificate: it stops authenticating at once and is listed in the CRL" })
  async revokeCertificate(
    @Arg("input", () => CertificateInput, { description: "The certificate to revoke" }) input: CertificateInput,
    @Ctx() ctx: RequestContext,
  ): Promise<RevokeCertificatePayload> {
    const action = actionContext(ctx);
    const localId = localIdOf(input.id, "Certificate", "input.id");
    const result = localId ? await this.service.revoke(action, localId) : { ok: false as const, error: notFound("certificate") };
    return result.ok ? { certificate: result.certificate, userErrors: [] } : { certificate: null, userErrors: [result.error] };
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
    @FirstArg(DEFAULT_PAGE_SIZE) first: number | null,
    @Arg("after", () => String, AFTER) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Connection<Certificate>> {
    const page = { first: checkPageSize(first, DEFAULT_PAGE_SIZE), after: after ? decodeCursor(after) : null };
    const principal = principalOf(ctx);
    if (listScope(principal, domain.id) === "none") return this.service.list(principal, page, domain.id);
    let load = this.loaders.get(ctx);
    if (!load) this.loaders.set(ctx, (load = this.service.createDomainCertificatesLoader(principal.accountId)));
    return load(domain.id, page);
  }
}
