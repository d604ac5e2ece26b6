import type { Logger } from "pino";
import type { Actor } from "../audit/audit.types";
import type { Clock } from "../shared/clock";
import type { DomainVerifier, VerificationCheckData } from "../verification/types";
import type { Domain } from "../domains/domain.entity";
import { verificationRequestOf } from "../domains/domain-records";
import { DomainStatus } from "../shared/domain-status";
import { UNPROVEN_STATUSES, effectiveStatus, tokenHasLapsed } from "../domains/status-rules";
import type { AppliedCheck, LeasedCheck, LeasedCheckResult, VerificationService } from "../domains/verification.service";
import type { LeasedBatch } from "./domain-leases";
import { ClaimFeed, type BatchProgress, type BatchSource, type FedClaim } from "./claim-feed";
import { GroupWriter } from "./group-writer";
import type { Foreground } from "../shared/foreground";

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
  /** Checks recorded per transaction at most; more go to the next one. */
  maxChecksPerTransaction?: number;
  /** Transactions recording checks at once, so one waiting on the database does not hold the next group back. */
  writers?: number;
  /**
   * The requests this instance is serving. While any is in hand, every worker but the first waits
   * (YIELD_MAX_MS at most) before starting its next check, and a group of results before its
   * transaction, so a sweep slows the API's answers little: the checks already asking DNS go on,
   * the sweep never stops, and it is at full speed again as soon as the requests are answered.
   */
  foreground?: Foreground;
}

/** Who a run acts as, and what it tells about each claim. */
export interface RunContext {
  actor: Actor;
  requestId: string | null;
  onResult?: (result: LeasedResult) => void;
}

export interface SweepOptions extends RunContext {
  /** Claims one lease asks for. */
  batchSize: number;
  /** True once the run should take no further claim: those leased and not started are released. */
  halting?: () => boolean;
  /** Sees each batch as it is leased, and once all of it is recorded. */
  onBatchStarted?: (batch: BatchProgress) => void;
  onBatchDone?: (batch: BatchProgress) => void;
}

/** Releases the claims of `lease` a run leased and will not check (DomainLeases.giveBack). */
export type GiveBack = (lease: string, ids: string[]) => Promise<unknown>;

type CheckWriter = GroupWriter<LeasedCheckResult, AppliedCheck | null>;

const DEFAULT_MAX_CHECKS_PER_TRANSACTION = 100;
const DEFAULT_WRITERS = 2;
/** Longest a sweep worker waits for the requests in hand to be answered before its next check. */
export const YIELD_MAX_MS = 100;

/**
 * Works through leased claims: expires those whose token ran out and checks the rest, with
 * `concurrency` lookups always in flight. Results are recorded in groups, many checks per
 * transaction, each with its audit entries (VerificationService.applyLeasedChecks), while the
 * next lookups go on.
 */
export class CheckRunner {
  constructor(
    private readonly verification: VerificationService,
    private readonly verifier: DomainVerifier,
    private readonly clock: Clock,
    private readonly options: CheckRunnerOptions,
    private readonly giveBack: GiveBack = async () => undefined,
  ) {}

  /** Checks one leased batch; resolves once every claim of it is recorded. */
  run(batch: LeasedBatch, actor: Actor, requestId: string | null, onResult?: (result: LeasedResult) => void): Promise<LeasedResult[]> {
    let given = false;
    const once = async () => (given ? null : ((given = true), batch));
    return this.sweep(once, { actor, requestId, onResult, batchSize: Math.max(1, batch.domains.length) });
  }

  /** Checks batch after batch from `source` until it has nothing more; the next batch is leased while the last is checked. */
  async sweep(source: BatchSource, options: SweepOptions): Promise<LeasedResult[]> {
    const results: LeasedResult[] = [];
    const feed = new ClaimFeed(source, { batchSize: options.batchSize, onBatchStarted: options.onBatchStarted, onBatchDone: options.onBatchDone });
    const foreground = this.options.foreground;
    // A group's transaction is the sweep's longest stretch of JavaScript (its rows read, each check
    // decided, its statements built): it too waits for the requests in hand, as a new check does.
    const write = async (checks: LeasedCheckResult[]) => {
      if (foreground?.busy) await foreground.whenIdle(YIELD_MAX_MS);
      return this.verification.applyLeasedChecks(checks, options.actor, options.requestId);
    };
    const writer: CheckWriter = new GroupWriter(write, {
      maxGroup: this.options.maxChecksPerTransaction ?? DEFAULT_MAX_CHECKS_PER_TRANSACTION,
      writers: this.options.writers ?? DEFAULT_WRITERS,
    });
    const recording = new Set<Promise<void>>();
    const record = (claim: FedClaim, outcome: Promise<LeasedResult>) => {
      const done = outcome
        .catch((error: unknown) => {
          this.options.logger.error({ err: error, domainId: claim.domain.id }, "scheduled check failed");
          return "ERROR" as const;
        })
        .then((result) => {
          results.push(result);
          options.onResult?.(result);
          feed.finished(claim);
          recording.delete(done);
        });
      recording.add(done);
    };
    const worker = async (index: number) => {
      const take = async () => {
        if (index > 0 && foreground?.busy) await foreground.whenIdle(YIELD_MAX_MS);
        return feed.take();
      };
      for (let claim = await take(); claim; claim = await take()) {
        if (options.halting?.()) {
          await this.release([claim, ...feed.drain()]);
          feed.finished(claim);
          break;
        }
        try {
          record(claim, (await this.process(claim, options, writer)).recorded);
        } catch (error) {
          record(claim, Promise.reject(error));
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, (_, index) => worker(index)));
    while (recording.size > 0) await Promise.all(recording);
    if (feed.error) throw feed.error;
    return results;
  }

  /** Gives the claims a stopping run will not check back at once, so another instance need not wait for their leases to run out. */
  private async release(claims: FedClaim[]): Promise<void> {
    const byLease = new Map<string, string[]>();
    for (const { lease, domain } of claims) byLease.set(lease, [...(byLease.get(lease) ?? []), domain.id]);
    for (const [lease, ids] of byLease) {
      await this.giveBack(lease, ids).catch((error: unknown) => this.options.logger.warn({ err: error }, "could not release leased claims; their leases run out by themselves"));
    }
  }

  /**
   * Does what one claim needs up to its lookups, and returns the promise of its result without
   * waiting for it to be recorded: the worker takes the next claim meanwhile.
   */
  private async process({ domain: claim, lease }: FedClaim, run: RunContext, writer: CheckWriter): Promise<{ recorded: Promise<LeasedResult> }> {
    const leased = { lease };
    const now = this.clock.now();
    const status = effectiveStatus(claim, now);
    if (tokenHasLapsed(claim, now)) return { recorded: Promise.resolve(await this.expire(claim, run, leased)) };
    if (status !== DomainStatus.VERIFIED && !UNPROVEN_STATUSES.includes(status)) {
      await this.verification.unschedule(claim.id, leased);
      return { recorded: Promise.resolve("SKIPPED") };
    }
    const recheck = status === DomainStatus.VERIFIED;
    const check = await this.verifier.verify({ ...verificationRequestOf(claim), recheck });
    return { recorded: writer.submit({ claim, check, leased }).then((applied) => this.outcome(claim, status, check, run, applied)) };
  }

  private async expire(claim: Domain, run: RunContext, leased: LeasedCheck): Promise<LeasedResult> {
    const expired = await this.verification.expire(claim.id, run.actor, run.requestId, leased);
    if (expired) this.options.logger.info({ domainId: claim.id, domain: claim.name, accountId: claim.accountId, actor: run.actor.type }, "claim expired");
    return expired ? "EXPIRED" : "SKIPPED";
  }

  private outcome(claim: Domain, status: DomainStatus, check: VerificationCheckData, run: RunContext, applied: AppliedCheck | null): LeasedResult {
    if (!applied) return "SKIPPED";
    this.options.logger.info(
      { domainId: claim.id, domain: claim.name, accountId: claim.accountId, actor: run.actor.type, outcome: applied.check.outcome, status: applied.domain.status },
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
