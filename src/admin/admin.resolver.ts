import { Arg, Authorized, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import { DomainService } from "../domains/domain.service";
import { DomainStatus } from "../shared/domain-status";
import { DomainConnection } from "../domains/domain.types";
import { Domain } from "../domains/domain.entity";
import { Connection, DEFAULT_LOG_PAGE_SIZE } from "../shared/pagination";
import { ConnectionArgs } from "../graphql/connection";
import { ADMIN_ROLE } from "../graphql/auth-checker";
import { CurrentAction } from "../graphql/current-principal";
import { badUserInput } from "../shared/errors";
import { ActionContext, MAX_ACCOUNT_ID_LENGTH } from "../shared/principal";
import { actorOf } from "../audit/actor";
import { MAX_REVERIFY_LIMIT, Maintenance, MaintenanceContext } from "./maintenance";

@InputType("ReverifyDomainsInput", { description: "How much to re-check in one run" })
export class ReverifyDomainsInput {
  @Field(() => Int, {
    nullable: true,
    defaultValue: 500,
    description: `At most this many domains, the least recently checked first (1 to ${MAX_REVERIFY_LIMIT})`,
  })
  limit!: number;
}

@ObjectType("ReverifyDomainsPayload", { description: "What a re-verification run found" })
export class ReverifyDomainsPayload {
  @Field(() => Int, { description: "Verified domains looked up by this run" })
  checked!: number;
  @Field(() => Int, { description: "Whose record was found" })
  stillVerified!: number;
  @Field(() => Int, { description: "Whose record was missing, still VERIFIED within the grace period" })
  inGracePeriod!: number;
  @Field(() => Int, { description: "REVOKED by this run: missing past the grace period" })
  revoked!: number;
  @Field(() => Int, { description: "Where DNS could not be asked; nothing was changed for them" })
  dnsErrors!: number;
}

@ObjectType("CleanupDomainsPayload", { description: "What a cleanup run changed" })
export class CleanupDomainsPayload {
  @Field(() => Int, { description: "Unverified claims whose token ran out, marked EXPIRED by this run" })
  expired!: number;
  @Field(() => Int, { description: "EXPIRED and REVOKED claims deleted by this run (their audit entries are kept)" })
  deleted!: number;
}

/** Fields for internal tools; the auth checker answers FORBIDDEN to everyone but admins. */
@Resolver()
export class AdminResolver {
  constructor(
    private readonly domains: DomainService,
    private readonly maintenance: Maintenance,
  ) {}

  @Authorized(ADMIN_ROLE)
  @Query(() => DomainConnection, { description: "Admin only: every account's domains" })
  async adminDomains(
    @ConnectionArgs(DEFAULT_LOG_PAGE_SIZE) args: ConnectionArgs,
    @Arg("accountId", () => ID, { nullable: true, description: "Only this account's domains" }) accountId: string | null,
    @Arg("name", () => String, { nullable: true, description: "Only names containing this text" }) name: string | null,
    @Arg("status", () => DomainStatus, { nullable: true, description: "Only domains in this status" }) status: DomainStatus | null,
  ): Promise<Connection<Domain>> {
    // No account id is stored longer than this: a longer argument is a mistake the caller should hear about, not an empty page.
    if (accountId && accountId.length > MAX_ACCOUNT_ID_LENGTH) {
      throw badUserInput(`"accountId" is longer than ${MAX_ACCOUNT_ID_LENGTH} characters; no account has such an id.`, "accountId");
    }
    return this.domains.listAll(args.toPage(), { accountId, nameContains: name, status });
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => ReverifyDomainsPayload, { description: "Admin only: re-check verified domains now" })
  async reverifyDomains(
    @Arg("input", () => ReverifyDomainsInput, { nullable: true, description: "Run options" }) input: ReverifyDomainsInput | null,
    @CurrentAction() action: ActionContext,
  ): Promise<ReverifyDomainsPayload> {
    const limit = input?.limit ?? 500;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REVERIFY_LIMIT) {
      throw badUserInput(`"limit" must be from 1 to ${MAX_REVERIFY_LIMIT}; got ${limit}.`, "input.limit");
    }
    return this.maintenance.reverify(adminContext(action), limit);
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => CleanupDomainsPayload, { description: "Admin only: expire stale claims and delete old expired and revoked ones" })
  async cleanupDomains(@CurrentAction() action: ActionContext): Promise<CleanupDomainsPayload> {
    return this.maintenance.cleanup(adminContext(action));
  }
}

function adminContext({ principal, requestId }: ActionContext): MaintenanceContext {
  return { actor: actorOf(principal, true), requestId };
}
