import type { EntityManager } from "typeorm";
import type { Domain } from "./domain.entity";
import { DomainStatus } from "../shared/domain-status";
import { DomainScope } from "../shared/domain-scope";
import type { DomainStore } from "./domain.store";
import type { AuditRecord } from "../audit/audit-log";
import type { Actor } from "../audit/audit.types";
import { effectiveStatus } from "./status-rules";
import { ParentLoss, ancestorNames, carvedOutNote, coveringClaim, planInheritance, planOrphaning } from "./inheritance";

/**
 * Applies the SUBTREE rules of inheritance.ts inside the caller's transaction: every method
 * writes the rows it changes and adds their audit entries to `entries`, which the caller
 * records with its own, so a change of the parent and what it does to its children commit
 * together.
 */
export class InheritanceService {
  constructor(
    private readonly store: DomainStore,
    /** A child revoked with its parent gets a fresh token window this long, to prove the name on its own. */
    private readonly tokenTtlMs: number,
  ) {}

  /**
   * The account's VERIFIED SUBTREE claim nearest above `claim`, locked; null when none covers it
   * now. Read first, then only the covering claim is locked and looked at again, so a claim waits
   * for nothing but a change of its own parent (whose revocation then sees the new child).
   */
  async coverOf(manager: EntityManager, claim: Pick<Domain, "accountId" | "name">, now: Date): Promise<Domain | null> {
    const above = await this.store.findSubtreeClaims(manager, claim.accountId, ancestorNames(claim.name));
    const candidate = coveringClaim(claim.name, above, now);
    if (!candidate) return null;
    const locked = await this.store.lockById(manager, candidate.id);
    return locked && coveringClaim(claim.name, [locked], now) ? locked : null;
  }

  /**
   * Verifies `child` through `parent` (the row is written here), unless another account holds the
   * name VERIFIED: that name is carved out of the subtree and `child` is left as it was. True when
   * the child inherited.
   */
  async inherit(manager: EntityManager, child: Domain, parent: Domain, now: Date, actor: Actor, requestId: string | null, entries: AuditRecord[]): Promise<boolean> {
    if ((await this.store.namesVerifiedElsewhere(manager, child.accountId, [child.name])).length > 0) return false;
    const plan = planInheritance(child, parent, now, actor, requestId);
    const before = { ...child };
    Object.assign(child, plan.changes);
    try {
      await this.store.updateAll(manager, [child]);
    } catch (error) {
      // Another account verified the name a moment ago (its unique index won): the name is carved out after all.
      if (!this.store.isVerifiedNameConflict(error)) throw error;
      Object.assign(child, before);
      return false;
    }
    entries.push(plan.entry);
    return true;
  }

  /**
   * A SUBTREE parent just verified: the account's unverified claims under it inherit, except names
   * other accounts hold. Answers the sentence the parent's check adds about those (null: none).
   */
  async adoptUnder(
    manager: EntityManager,
    parent: Domain,
    now: Date,
    actor: Actor,
    requestId: string | null,
    entries: AuditRecord[],
    inHand?: ReadonlyMap<string, Domain>,
  ): Promise<string | null> {
    if (parent.scope !== DomainScope.SUBTREE) return null;
    const under = inHandOf(await this.store.lockClaimsUnder(manager, parent.accountId, parent.name), inHand);
    const waiting = under.filter((child) => effectiveStatus(child, now) !== DomainStatus.VERIFIED);
    const taken = new Set(await this.store.namesVerifiedElsewhere(manager, parent.accountId, waiting.map((child) => child.name)));
    const adopted: Domain[] = [];
    for (const child of waiting.filter((c) => !taken.has(c.name))) {
      // The nearest SUBTREE claim above the child is the one it inherits from.
      const nearest = coveringClaim(child.name, [parent, ...under.filter((c) => c !== child && effectiveStatus(c, now) === DomainStatus.VERIFIED)], now) ?? parent;
      const plan = planInheritance(child, nearest, now, actor, requestId);
      Object.assign(child, plan.changes);
      adopted.push(child);
      entries.push(plan.entry);
    }
    await this.store.updateAll(manager, adopted);
    return carvedOutNote(await this.store.countVerifiedUnderElsewhere(manager, parent.accountId, parent.name));
  }

  /**
   * `parent` stopped being VERIFIED (removed, revoked, expired, transferred): each claim verified
   * through it is revoked with its own entry, and so on down the tree. Claims verified by a
   * record of their own since no longer point at the parent, and are left alone.
   */
  async orphanChildren(
    manager: EntityManager,
    parent: Pick<Domain, "id" | "name">,
    loss: ParentLoss,
    now: Date,
    requestId: string | null,
    entries: AuditRecord[],
    inHand?: ReadonlyMap<string, Domain>,
  ): Promise<void> {
    // A row in hand may have been verified by its own record earlier in this transaction.
    const children = inHandOf(await this.store.lockInheritedFrom(manager, parent.id), inHand).filter((child) => child.inheritedFromId === parent.id);
    for (const child of children) {
      const plan = planOrphaning(child, parent, loss, now, this.tokenTtlMs, requestId);
      Object.assign(child, plan.changes);
      entries.push(plan.entry);
    }
    await this.store.updateAll(manager, children);
    for (const child of children) await this.orphanChildren(manager, child, loss, now, requestId, entries, inHand);
  }
}

/**
 * The rows the caller already holds in place of the copies just read: a group of checks writes
 * its rows at its end, and a change made here to a copy would be overwritten by that write.
 */
function inHandOf(rows: Domain[], inHand?: ReadonlyMap<string, Domain>): Domain[] {
  return inHand ? rows.map((row) => inHand.get(row.id) ?? row) : rows;
}
