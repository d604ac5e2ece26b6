import { DomainStatus } from "../shared/domain-status";
import { RowRule, matches, opposite } from "../shared/row-rule";

/** Statuses whose token can still run out: the claim has never been proven. */
export const UNPROVEN_STATUSES: readonly DomainStatus[] = [DomainStatus.PENDING, DomainStatus.FAILED];

/** Statuses that hold no proof now: a check can prove them only with a token still in its window. */
const UNVERIFIED_STATUSES: readonly DomainStatus[] = Object.values(DomainStatus).filter((status) => status !== DomainStatus.VERIFIED);

/**
 * A claim holding no proof whose token has run out by the instant asked about: no check can
 * prove it any more, only a new token helps, so verifying it is refused.
 */
export const TOKEN_RAN_OUT: RowRule<DomainStatus, "tokenExpiresAt"> = [{ statuses: UNVERIFIED_STATUSES, compare: { column: "tokenExpiresAt", op: "<=" } }];

/**
 * The claims of TOKEN_RAN_OUT that were never proven: they read EXPIRED from that instant and
 * the scheduler expires them. A REVOKED claim stays REVOKED, and an EXPIRED one already is.
 */
export const TOKEN_LAPSED: RowRule<DomainStatus, "tokenExpiresAt"> = onlyStatuses(TOKEN_RAN_OUT, UNPROVEN_STATUSES);

/**
 * Old enough for cleanup at a cutoff: EXPIRED since its token ran out, REVOKED since it was
 * last touched. Cleanup expires lapsed claims first, so those count too.
 */
export const STALE: RowRule<DomainStatus, "tokenExpiresAt" | "updatedAt"> = [
  { statuses: [DomainStatus.EXPIRED], compare: { column: "tokenExpiresAt", op: "<=" } },
  { statuses: [DomainStatus.REVOKED], compare: { column: "updatedAt", op: "<=" } },
];

/** Whether `domain` holds no proof and its token has run out by `at` (TOKEN_RAN_OUT). */
export function tokenRanOut(domain: { status: DomainStatus; tokenExpiresAt: Date }, at: Date): boolean {
  return matches(TOKEN_RAN_OUT, domain, at);
}

/** Whether `domain` is unproven and its token has run out by `at` (TOKEN_LAPSED). */
export function tokenHasLapsed(domain: { status: DomainStatus; tokenExpiresAt: Date }, at: Date): boolean {
  return matches(TOKEN_LAPSED, domain, at);
}

/**
 * The status a reader sees. An unproven claim whose token ran out is EXPIRED from that
 * instant, even before a sweep writes it, so no client ever sees a stale PENDING.
 */
export function effectiveStatus(domain: { status: DomainStatus; tokenExpiresAt: Date }, now: Date): DomainStatus {
  return tokenHasLapsed(domain, now) ? DomainStatus.EXPIRED : domain.status;
}

/** The rows `effectiveStatus` reads as `status`, as a rule for queries that filter by it. */
export function hasEffectiveStatus(status: DomainStatus): RowRule<DomainStatus, "tokenExpiresAt"> {
  if (status === DomainStatus.EXPIRED) return [{ statuses: [DomainStatus.EXPIRED] }, ...TOKEN_LAPSED];
  const lapsing = TOKEN_LAPSED.find((clause) => clause.statuses.includes(status));
  return lapsing?.compare ? [{ statuses: [status], compare: opposite(lapsing.compare) }] : [{ statuses: [status] }];
}

/** `rule` narrowed to the rows whose status is one of `statuses`. */
function onlyStatuses<C extends string>(rule: RowRule<DomainStatus, C>, statuses: readonly DomainStatus[]): RowRule<DomainStatus, C> {
  return rule
    .map((clause) => ({ ...clause, statuses: clause.statuses.filter((status) => statuses.includes(status)) }))
    .filter((clause) => clause.statuses.length > 0);
}
