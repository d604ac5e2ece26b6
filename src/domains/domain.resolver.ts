import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Domain } from "./domain.entity";
import { DomainStatus } from "../shared/domain-status";
import { DomainScope } from "../shared/domain-scope";
import { effectiveStatus } from "./status-rules";
import { DomainService } from "./domain.service";
import { VerificationService } from "./verification.service";
import { unicodeNameOf } from "./domain-name";
import { PersistSettings, cnameRecordOf, instructionsFor, persistentRecordOf, txtRecordOf } from "./domain-records";
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
import type { RequestContext } from "../graphql/context";
import { Connection, DEFAULT_PAGE_SIZE } from "../shared/pagination";
import { AFTER_PREVIOUS_PAGE, ConnectionArgs } from "../graphql/connection";
import { localIdOf, toGlobalId, withLocalId } from "../graphql/global-id";
import { CurrentAction, CurrentPrincipal } from "../graphql/current-principal";
import { toPayload } from "../graphql/payload";
import type { ActionContext, Principal } from "../shared/principal";
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
    private readonly persist: PersistSettings,
  ) {}

  @Query(() => Domain, { nullable: true, description: "One of the caller's domains; null for unknown ids and other accounts' ids alike" })
  async domain(@Arg("id", () => ID, { description: "The domain's id" }) id: string, @CurrentPrincipal() principal: Principal): Promise<Domain | null> {
    const localId = localIdOf(id, "Domain");
    return localId ? this.service.findOwned(principal, localId) : null;
  }

  @Query(() => DomainConnection, { description: "The caller's domains, newest first" })
  async domains(
    @ConnectionArgs(DEFAULT_PAGE_SIZE, AFTER_PREVIOUS_PAGE) page: ConnectionArgs,
    @Arg("status", () => DomainStatus, { nullable: true, description: "Only domains in this status" }) status: DomainStatus | null,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Connection<Domain>> {
    return this.service.list(principal, page.toPage(), status ?? null);
  }

  @RateLimited(RateLimitQuota.MUTATIONS)
  @Mutation(() => ClaimDomainPayload, { description: "Claim a name for the caller's account and get the record that proves control" })
  async claimDomain(@Arg("input", () => ClaimDomainInput, { description: "The name to claim" }) input: ClaimDomainInput, @CurrentAction() action: ActionContext): Promise<ClaimDomainPayload> {
    const result = await this.service.claim(action, input.name, input.scope ?? DomainScope.EXACT);
    return toPayload(result, ({ domain, created }) => ({ domain, created }), { domain: null, created: false });
  }

  @RateLimited(RateLimitQuota.VERIFICATIONS)
  @Mutation(() => VerifyDomainPayload, { description: "Look the domain's record up now and record the result" })
  async verifyDomain(@Arg("input", () => DomainInput, { description: "The domain to verify" }) input: DomainInput, @CurrentAction() action: ActionContext): Promise<VerifyDomainPayload> {
    const result = await withLocalId(input.id, "Domain", ["input", "id"], (id) => this.verification.verify(action, id));
    return toPayload(
      result,
      ({ domain, check }) => ({ domain, verified: domain.status === DomainStatus.VERIFIED, check }),
      { domain: null, verified: false, check: null },
    );
  }

  @RateLimited(RateLimitQuota.MUTATIONS)
  @Mutation(() => RegenerateTokenPayload, { description: "Issue a fresh token and a fresh expiry window for a domain" })
  async regenerateToken(@Arg("input", () => DomainInput, { description: "The domain whose token to replace" }) input: DomainInput, @CurrentAction() action: ActionContext): Promise<RegenerateTokenPayload> {
    const result = await withLocalId(input.id, "Domain", ["input", "id"], (id) => this.service.regenerateToken(action, id));
    return toPayload(result, ({ domain }) => ({ domain }), { domain: null });
  }

  @RateLimited(RateLimitQuota.MUTATIONS)
  @Mutation(() => RemoveDomainPayload, { description: "Delete a claim; its audit entries are kept" })
  async removeDomain(@Arg("input", () => DomainInput, { description: "The domain to remove" }) input: DomainInput, @CurrentAction() action: ActionContext): Promise<RemoveDomainPayload> {
    const result = await withLocalId(input.id, "Domain", ["input", "id"], (id) => this.service.remove(action, id));
    return toPayload(result, ({ removedId }) => ({ removedDomainId: toGlobalId("Domain", removedId) }), { removedDomainId: null });
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

  @FieldResolver(() => DnsRecord, {
    description:
      "The account's persistent record for this name: publish it once, and this name (and, with policy=subtree, every name under it) verifies for this account without a new token",
  })
  persistentRecord(@Root() domain: Domain): DnsRecord {
    return persistentRecordOf(domain, this.persist);
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

  @FieldResolver(() => Domain, {
    nullable: true,
    description: "The caller's VERIFIED SUBTREE domain this name is verified through; null when it is verified by a record of its own",
  })
  async inheritedFrom(@Root() domain: Domain, @Ctx() ctx: RequestContext): Promise<Domain | null> {
    return domain.inheritedFromId ? ctx.loaders.domainById.load(domain.inheritedFromId) : null;
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
  async domainCount(@CurrentPrincipal() principal: Principal): Promise<number> {
    return this.service.countForAccount(principal);
  }

  @FieldResolver(() => Int, { description: "How many claims the account may hold" })
  domainLimit(): number {
    return this.service.limitPerAccount;
  }
}
