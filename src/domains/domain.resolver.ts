import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Domain } from "./domain.entity";
import { DomainStatus } from "../shared/domain-status";
import { effectiveStatus } from "./status-rules";
import { DomainService } from "./domain.service";
import { VerificationService } from "./verification.service";
import { unicodeNameOf } from "./domain-name";
import { cnameRecordOf, instructionsFor, txtRecordOf } from "./domain-records";
import {
  ClaimDomainInput,
  ClaimDomainPayload,
  DnsRecord,
  DomainConnection,
  DomainInput,
  RegenerateTokenPayload,
  RemoveDomainPayload,
  VerifyDomainPayload,
} from "./domain.types";
import { VerificationCheck } from "../verification/verification-check.type";
import type { Clock } from "../shared/clock";
import { RequestContext, actionContext, principalOf } from "../graphql/context";
import { Connection, checkPageSize, decodeCursor, DEFAULT_PAGE_SIZE } from "../shared/pagination";
import { FirstArg } from "../graphql/connection";
import { localIdOf, toGlobalId } from "../graphql/global-id";
import { notFound } from "../shared/errors";
import { AuditEntry } from "../audit/audit-entry.entity";
import { Viewer } from "../auth/viewer.type";
import { RateLimited, RateLimitQuota } from "../graphql/rate-limits";

/** Translates ids and maps results; every rule lives in DomainService and VerificationService. */
@Resolver(() => Domain)
export class DomainResolver {
  constructor(
    private readonly service: DomainService,
    private readonly verification: VerificationService,
    private readonly clock: Clock,
    private readonly cnameZone: string,
  ) {}

  @Query(() => Domain, { nullable: true, description: "One of the caller's domains; null for unknown ids and other accounts' ids alike" })
  async domain(@Arg("id", () => ID, { description: "The domain's id" }) id: string, @Ctx() ctx: RequestContext): Promise<Domain | null> {
    const localId = localIdOf(id, "Domain");
    return localId ? this.service.findOwned(principalOf(ctx), localId) : null;
  }

  @Query(() => DomainConnection, { description: "The caller's domains, newest first" })
  async domains(
    @FirstArg(DEFAULT_PAGE_SIZE) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "Cursor to continue after (endCursor of the previous page)" })
    after: string | null,
    @Arg("status", () => DomainStatus, { nullable: true, description: "Only domains in this status" }) status: DomainStatus | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Connection<Domain>> {
    const page = { first: checkPageSize(first, DEFAULT_PAGE_SIZE), after: after ? decodeCursor(after) : null };
    return this.service.list(principalOf(ctx), page, status ?? null);
  }

  @RateLimited(RateLimitQuota.MUTATIONS)
  @Mutation(() => ClaimDomainPayload, { description: "Claim a name for the caller's account and get the record that proves control" })
  async claimDomain(@Arg("input", () => ClaimDomainInput, { description: "The name to claim" }) input: ClaimDomainInput, @Ctx() ctx: RequestContext): Promise<ClaimDomainPayload> {
    const result = await this.service.claim(actionContext(ctx), input.name);
    return result.ok
      ? { domain: result.domain, created: result.created, userErrors: [] }
      : { domain: null, created: false, userErrors: [result.error] };
  }

  @RateLimited(RateLimitQuota.VERIFICATIONS)
  @Mutation(() => VerifyDomainPayload, { description: "Look the domain's record up now and record the result" })
  async verifyDomain(@Arg("input", () => DomainInput, { description: "The domain to verify" }) input: DomainInput, @Ctx() ctx: RequestContext): Promise<VerifyDomainPayload> {
    const localId = localIdOf(input.id, "Domain", "input.id");
    const result = localId ? await this.verification.verify(actionContext(ctx), localId) : { ok: false as const, error: notFound() };
    return result.ok
      ? { domain: result.domain, verified: result.domain.status === DomainStatus.VERIFIED, check: result.check, userErrors: [] }
      : { domain: null, verified: false, check: null, userErrors: [result.error] };
  }

  @RateLimited(RateLimitQuota.MUTATIONS)
  @Mutation(() => RegenerateTokenPayload, { description: "Issue a fresh token and a fresh expiry window for a domain" })
  async regenerateToken(@Arg("input", () => DomainInput, { description: "The domain whose token to replace" }) input: DomainInput, @Ctx() ctx: RequestContext): Promise<RegenerateTokenPayload> {
    const localId = localIdOf(input.id, "Domain", "input.id");
    const result = localId ? await this.service.regenerateToken(actionContext(ctx), localId) : { ok: false as const, error: notFound() };
    return result.ok ? { domain: result.domain, userErrors: [] } : { domain: null, userErrors: [result.error] };
  }

  @RateLimited(RateLimitQuota.MUTATIONS)
  @Mutation(() => RemoveDomainPayload, { description: "Delete a claim; its audit entries are kept" })
  async removeDomain(@Arg("input", () => DomainInput, { description: "The domain to remove" }) input: DomainInput, @Ctx() ctx: RequestContext): Promise<RemoveDomainPayload> {
    const localId = localIdOf(input.id, "Domain", "input.id");
    const result = localId ? await this.service.remove(actionContext(ctx), localId) : { ok: false as const, error: notFound() };
    return result.ok
      ? { removedDomainId: toGlobalId("Domain", result.removedId), userErrors: [] }
      : { removedDomainId: null, userErrors: [result.error] };
  }

  @FieldResolver(() => ID, { description: "Opaque, globally unique; accepted by node(id:), domain(id:) and every mutation input" })
  id(@Root() domain: Domain): string {
    return toGlobalId("Domain", domain.id);
  }

  @FieldResolver(() => String, { description: "The name for display, internationalized labels decoded" })
  unicodeName(@Root() domain: Domain): string {
    return unicodeNameOf(domain.name);
  }

  @FieldResolver(() => DomainStatus, { description: "Where the claim stands" })
  status(@Root() domain: Domain): DomainStatus {
    return effectiveStatus(domain, this.clock.now());
  }

  @FieldResolver(() => Boolean, { description: "True exactly when status is VERIFIED" })
  verified(@Root() domain: Domain): boolean {
    return effectiveStatus(domain, this.clock.now()) === DomainStatus.VERIFIED;
  }

  @FieldResolver(() => DnsRecord, { description: "The TXT record that proves ownership" })
  txtRecord(@Root() domain: Domain): DnsRecord {
    return txtRecordOf(domain);
  }

  @FieldResolver(() => DnsRecord, { description: "The CNAME alternative; either record suffices" })
  cnameRecord(@Root() domain: Domain): DnsRecord {
    return cnameRecordOf(domain, this.cnameZone);
  }

  @FieldResolver(() => String, { description: "Human-readable instructions that name the record to create" })
  instructions(@Root() domain: Domain): string {
    return instructionsFor(domain, this.cnameZone);
  }

  @FieldResolver(() => Date, { nullable: true, description: "When the current token stops being accepted; null while VERIFIED" })
  tokenExpiresAt(@Root() domain: Domain): Date | null {
    return effectiveStatus(domain, this.clock.now()) === DomainStatus.VERIFIED ? null : domain.tokenExpiresAt;
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description: "When this verified domain will be REVOKED if its record stays missing; null while re-checks find it",
  })
  graceEndsAt(@Root() domain: Domain): Date | null {
    return this.service.graceEndsAt(domain);
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description: "When the service will next look the record up by itself (or expire the claim); null once it no longer will (EXPIRED, REVOKED)",
  })
  nextCheckAt(@Root() domain: Domain): Date | null {
    return this.service.nextCheckAt(domain);
  }

  @FieldResolver(() => VerificationCheck, { nullable: true, description: "The most recent verification or re-verification result" })
  lastCheck(@Root() domain: Domain): VerificationCheck | null {
    return domain.lastCheck;
  }

}

/** The field domains add to AuditEntry: the domain an entry is about. */
@Resolver(() => AuditEntry)
export class AuditEntryDomainResolver {
  @FieldResolver(() => Domain, { nullable: true, description: "The domain the entry is about; null once that domain has been removed" })
  async domain(@Root() entry: AuditEntry, @Ctx() ctx: RequestContext): Promise<Domain | null> {
    return entry.domainId ? ctx.loaders.domainById.load(entry.domainId) : null;
  }
}

/** The fields domains add to Viewer: how many claims the account holds and may hold. */
@Resolver(() => Viewer)
export class ViewerDomainsResolver {
  constructor(private readonly service: DomainService) {}

  @FieldResolver(() => Int, { description: "How many claims the account holds" })
  async domainCount(@Ctx() ctx: RequestContext): Promise<number> {
    return this.service.countForAccount(principalOf(ctx));
  }

  @FieldResolver(() => Int, { description: "How many claims the account may hold" })
  domainLimit(): number {
    return this.service.limitPerAccount;
  }
}
