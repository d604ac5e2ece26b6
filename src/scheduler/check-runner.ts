import type { Logger } from "pino";
import type { Actor } from "../audit/audit.types";
import type { Clock } from "../shared/clock";
import type { DomainVerifier } from "../verification/types";
import type { Domain } from "../domains/domain.entity";
import { DomainStatus } from "../shared/domain-status";
import { UNPROVEN_STATUSES, effectiveStatus, tokenHasLapsed } from "../domains/status-rules";
import type { VerificationService } from "../domains/verification.service";
import { forEachConcurrently } from "../shared/concurrency";
import type { LeasedBatch } from "./domain-leases";

/** What became of one leased claim. */
export type LeasedResult =
  | "EXPIRED"
  | "STILL_VERIFIED"
  | "IN_GRACE_PERIOD"
  | "REVOKED"
  | "VERIFIED"
  | "NOT_VERIFIED"
  | "DNS_ERROR"
  /** The claim changed meanwhile (new token, removed, verified by its owner) or the lease was lost: nothing recorded. */
  | "SKIPPED"
  /** The database failed; the lease runs out and another run takes the claim again. */
  | "ERROR";

export interface CheckRunnerOptions {
  /** Lookups in flight at once (DNS_CONCURRENCY). */
  concurrency: number;
  logger: Logger;
}

/**
 * Works through a leased batch: expires claims whose token ran out and checks the rest,
 * recording each result through VerificationService.applyCheck like a user's own check.
 */
export class CheckRunner {
  constructor(
    private readonly verification: VerificationService,
    private readonly verifier: DomainVerifier,
    private readonly clock: Clock,
    private readonly options: CheckRunnerOptions,
  ) {}

  async run(batch: LeasedBatch, actor: Actor, requestId: string | null, onResult?: (result: LeasedResult) => void): Promise<LeasedResult[]> {
    const results: LeasedResult[] = [];
    await forEachConcurrently(batch.domains, this.options.concurrency, async (domain) => {
      let result: LeasedResult;
      try {
        result = await this.process(domain, batch.lease, actor, requestId);
      } catch (error) {
        this.options.logger.error({ err: error, domainId: domain.id }, "scheduled check failed");
        result = "ERROR";
      }
      results.push(result);
      onResult?.(result);
    });
    return results;
  }

  private async process(claim: Domain, lease: string, actor: Actor, requestId: string | null): Promise<LeasedResult> {
    const leased = { lease };
    const now = this.clock.now();
    const status = effectiveStatus(claim, now);
    if (tokenHasLapsed(claim, now)) {
      const expired = await this.verification.expire(claim.id, actor, requestId, leased);
      if (expired) this.options.logger.info({ domainId: claim.id, domain: claim.name, accountId: claim.accountId, actor: actor.type }, "claim expired");
      return expired ? "EXPIRED" : "SKIPPED";
    }
    if (status !== DomainStatus.VERIFIED && !UNPROVEN_STATUSES.includes(status)) {
      await this.verification.unschedule(claim.id, leased);
      return "SKIPPED";
    }
    const check = await this.verifier.verify({ name: claim.name, token: claim.token, previousTokens: claim.previousTokens });
    const applied = await this.verification.applyCheck(claim, check, actor, requestId, leased);
    if (!applied) return "SKIPPED";
    this.options.logger.info(
      { domainId: claim.id, domain: claim.name, accountId: claim.accountId, actor: actor.type, outcome: applied.check.outcome, status: applied.domain.status },
      "automatic check",
    );
    if (check.outcome === "DNS_ERROR") return "DNS_ERROR";
    const after = applied.domain;
    if (status === DomainStatus.VERIFIED) {
      if (after.status === DomainStatus.REVOKED) return "REVOKED";
      return after.failingSince ? "IN_GRACE_PERIOD" : "STILL_VERIFIED";
    }
    return after.status === DomainStatus.VERIFIED ? "VERIFIED" : "NOT_VERIFIED";
  }
}
