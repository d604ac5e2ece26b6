import { Domain } from "../domain.entity";
import { DomainService } from "../domain.service";
import { FakeAuditLog, FakeDomainStore } from "./fake-domain-store";
import { DomainStatus } from "../../shared/domain-status";
import { ManualClock } from "../../shared/clock";
import { Accounts } from "../../accounts/accounts";
import { FakeAccountStore } from "../../accounts/testing/fake-account-store";
import { FakeDatabase, appendOnly } from "../../db/testing/fake-database";
import type { Transactional } from "../../db/testing/fake-table";

const DAY = 86_400_000;

/**
 * What every feature's service stands on, over fakes: claims, their service, accounts, the audit
 * log, and one database whose transactions roll all of them back together with `stores`, the
 * feature's own fake stores.
 */
export function createFakeCore(clock: ManualClock, stores: Transactional[]) {
  const domainStore = new FakeDomainStore(clock);
  const audit = new FakeAuditLog();
  const accountStore = new FakeAccountStore();
  const db = new FakeDatabase([domainStore, appendOnly(audit.entries), ...stores]);
  const accounts = new Accounts(accountStore, db);
  const domains = new DomainService(domainStore, db, accounts, audit, clock, {
    maxPerAccount: 100,
    tokenTtlMs: 30 * DAY,
    schedule: { pendingFirstCheckMs: 60_000, pendingBackoffMs: [300_000], reverifyIntervalMs: DAY, reverifyGraceMs: 3 * DAY },
  });
  let ids = 0;
  /** Puts a claim in the store as it is (VERIFIED unless told), bypassing every rule. */
  const putDomain = (fields: Partial<Domain> & Pick<Domain, "accountId" | "name">): Domain => {
    const now = clock.now();
    const status = fields.status ?? DomainStatus.VERIFIED;
    const verified = status === DomainStatus.VERIFIED;
    const domain = Object.assign(new Domain(), {
      id: `domain-${++ids}`,
      status,
      token: `token-${ids}`,
      previousTokens: [],
      tokenIssuedAt: now,
      tokenExpiresAt: new Date(now.getTime() + 30 * DAY),
      verifiedName: verified ? fields.name : null,
      verifiedAt: verified ? now : null,
      lastCheckedAt: null,
      lastCheck: null,
      failingSince: null,
      nextCheckAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      tokenExpiryWarnedAt: null,
      createdAt: now,
      updatedAt: now,
      ...fields,
    });
    domainStore.put(domain);
    return domain;
  };
  return { clock, db, domainStore, domains, audit, accountStore, accounts, putDomain };
}
